import { describe, expect, it, jest } from '@jest/globals';
import { RmqContext, Transport, type WritePacket } from '@nestjs/microservices';
import { of } from 'rxjs';
import type { AmqpConnectionManager, CreateChannelOpts } from 'amqp-connection-manager';
import {
  RmqServer,
  rmqClientOptions,
  rmqQueueOptions,
  UnconfirmedRmqClient,
  withoutPublisherConfirms,
} from './rmq-transport.js';

describe('RabbitMQ: what is persistent and confirmed', () => {
  const url = 'amqp://127.0.0.1:5672';

  it('sends to the processor persistent, on Nest’s own (confirming) client', () => {
    expect(
      rmqClientOptions(url, 'q.processor', 'processor', undefined, rmqQueueOptions(false)),
    ).toEqual({
      transport: Transport.RMQ,
      options: {
        urls: [url],
        queue: 'q.processor',
        queueOptions: { durable: true },
        persistent: true,
      },
    });
  });

  it.each(['server', 'saver'] as const)(
    'sends requests to the %s transient and unconfirmed',
    (role) => {
      expect(rmqClientOptions(url, `q.${role}`, role, undefined, rmqQueueOptions(false))).toEqual({
        customClass: UnconfirmedRmqClient,
        options: {
          urls: [url],
          queue: `q.${role}`,
          queueOptions: { durable: true },
          persistent: false,
        },
      });
    },
  );

  it('opens every channel of a connection without publisher confirms, keeping its other options', () => {
    const opened: (CreateChannelOpts | undefined)[] = [];
    const manager = {
      createChannel(options?: CreateChannelOpts) {
        opened.push(options);
        return {};
      },
    } as unknown as AmqpConnectionManager;
    const setup = jest.fn();
    withoutPublisherConfirms(manager).createChannel({ json: false, setup });
    manager.createChannel();
    expect(opened).toEqual([{ json: false, setup, confirm: false }, { confirm: false }]);
  });
});

describe(RmqServer.name, () => {
  const message = { fields: { deliveryTag: 7 } };

  /** Runs one request through the listener; answers the packets sent and the calls in order. */
  async function handle(ackWithReply: boolean, answer: unknown): Promise<string[]> {
    const calls: string[] = [];
    const channel = { ack: (acked: unknown) => calls.push(acked === message ? 'ack' : 'ack ?') };
    const server = new RmqServer(ackWithReply, { urls: ['amqp://127.0.0.1:5672'], queue: 'q' });
    const context = new RmqContext([message, channel, 'pattern']);
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    server.handleRequest(
      context,
      () => Promise.resolve(server.transformToObservable(answer)),
      async (packet: WritePacket) => {
        await Promise.resolve();
        calls.push(
          packet.isDisposed ? `last ${String(packet.response)}` : `${String(packet.response)}`,
        );
        if (packet.isDisposed) setImmediate(done);
      },
    );
    await finished;
    return calls;
  }

  it('acknowledges a message once its answer has gone out, when it settles messages itself', async () => {
    expect(await handle(true, 'Ok')).toEqual(['last Ok', 'ack']);
  });

  it('acknowledges a streamed answer once, after its last packet', async () => {
    expect(await handle(true, of('a', 'b'))).toEqual(['a', 'last b', 'ack']);
  });

  it('leaves the message to the interceptor otherwise', async () => {
    expect(await handle(false, 'Ok')).toEqual(['last Ok']);
  });
});
