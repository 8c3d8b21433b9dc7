import { describe, expect, it, jest } from '@jest/globals';
import { RmqContext, Transport, type WritePacket } from '@nestjs/microservices';
import { eventually } from '../../../../test/support/sse.js';
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

describe('RmqServer standing by on other queues (SAVER_FAILOVER)', () => {
  /** A channel that counts each queue's consumers and records what is consumed, in order. */
  function fakeChannel(consumers: Record<string, number>) {
    const consumed: string[] = [];
    const channel = {
      consumed,
      assertQueue: (queue: string) =>
        Promise.resolve({ queue, consumerCount: consumers[queue] ?? 0 }),
      prefetch: () => Promise.resolve(),
      consume: (queue: string) => {
        consumed.push(queue);
        consumers[queue] = (consumers[queue] ?? 0) + 1;
        return Promise.resolve({ consumerTag: queue });
      },
    };
    return channel;
  }

  const standby = (): RmqServer =>
    new RmqServer(false, { urls: ['amqp://127.0.0.1:5672'], queue: 'saver.0', noAck: false }, [
      'saver.1',
      'saver.2',
    ]);

  it('consumes its own queue first, and each other queue only once that one has its own consumer', async () => {
    const consumers: Record<string, number> = { 'saver.2': 1 };
    const channel = fakeChannel(consumers);
    const server = standby();
    await server.setupChannel(channel, () => undefined);
    await eventually(() => channel.consumed.length === 2, 'its own queue and saver.2 consumed');
    expect(channel.consumed).toEqual(['saver.0', 'saver.2']);
    // saver.1's own saver comes: the standby follows it.
    consumers['saver.1'] = 1;
    await eventually(() => channel.consumed.length === 3, 'saver.1 consumed');
    expect(channel.consumed).toEqual(['saver.0', 'saver.2', 'saver.1']);
    await server.close();
  });
});
