import type { AmqpConnectionManager, CreateChannelOpts } from 'amqp-connection-manager';
import {
  ClientRMQ,
  Transport,
  type ClientOptions,
  type CustomClientOptions,
} from '@nestjs/microservices';
import type { PeerRole } from '../settings/settings.js';

/**
 * Makes every channel of `manager` a plain channel, without publisher confirms. Nest creates its
 * channels with amqp-connection-manager's default, a confirm channel, so the broker confirms every
 * message on top of the answer its caller waits for anyway: a request is confirmed by its reply,
 * and a reply by nothing (a lost one is what the caller's REQUEST_TIMEOUT_MS and retry are for,
 * as on TCP).
 */
export function withoutPublisherConfirms<M extends AmqpConnectionManager>(manager: M): M {
  const createChannel = manager.createChannel.bind(manager);
  manager.createChannel = (options?: CreateChannelOpts) =>
    createChannel({ ...options, confirm: false });
  return manager;
}

/** Nest's RabbitMQ client, publishing its requests without publisher confirms. */
export class UnconfirmedRmqClient extends ClientRMQ {
  override createClient(): AmqpConnectionManager {
    return withoutPublisherConfirms(super.createClient() as AmqpConnectionManager);
  }
}

/**
 * The options of a client of `role` on RabbitMQ. Only the processor holds a message past its
 * answer (it answers `Ok` at once and acknowledges the batch once its results are saved), so only
 * what goes to the processor is persistent and confirmed: that batch outlives a broker restart and
 * goes to another processor. Everything else is a request whose reply is its confirmation, and a
 * reply cannot outlive a restart (RabbitMQ's direct reply-to lives on the caller's channel): a
 * persistent request would only be handled again for a caller who has already timed out and sent it
 * again. So the per-task requests (client → server) and the results cost the broker no disk write
 * and no confirm.
 */
export function rmqClientOptions(
  url: string,
  queue: string,
  role: PeerRole,
): ClientOptions | CustomClientOptions {
  // Replies come back on RabbitMQ's direct reply-to, which needs the client's default noAck.
  const options = { urls: [url], queue, queueOptions: { durable: true } };
  if (role === 'processor')
    return { transport: Transport.RMQ, options: { ...options, persistent: true } };
  return {
    customClass: UnconfirmedRmqClient as unknown as CustomClientOptions['customClass'],
    options: { ...options, persistent: false },
  };
}
