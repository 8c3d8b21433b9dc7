import { describe, expect, it, jest } from '@jest/globals';
import { Transport } from '@nestjs/microservices';
import type { AmqpConnectionManager, CreateChannelOpts } from 'amqp-connection-manager';
import {
  rmqClientOptions,
  UnconfirmedRmqClient,
  withoutPublisherConfirms,
} from './rmq-transport.js';

describe('RabbitMQ: what is persistent and confirmed', () => {
  const url = 'amqp://127.0.0.1:5672';

  it('sends to the processor persistent, on Nest’s own (confirming) client', () => {
    expect(rmqClientOptions(url, 'q.processor', 'processor')).toEqual({
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
      expect(rmqClientOptions(url, `q.${role}`, role)).toEqual({
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
