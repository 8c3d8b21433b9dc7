import { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, CreateChannelOpts } from 'amqp-connection-manager';
import {
  ClientRMQ,
  ServerRMQ,
  Transport,
  type ClientOptions,
  type CustomClientOptions,
  type OutgoingResponse,
  type RmqContext,
  type WritePacket,
} from '@nestjs/microservices';
import { setTimeout as delay } from 'node:timers/promises';
import type { Observable } from 'rxjs';
import { describeError } from '../../describe-error.js';
import type { PeerRole } from '../../settings/settings.js';
import type { TlsFiles } from '../../settings/tls-files.js';
import { rmqSocketOptions } from './rmq-connection.js';
import { ThrottledLog } from '../../throttled-log.js';
import { withDirectReplies } from '../nest-seam/direct-replies.js';
import { withExactPatterns } from '../nest-seam/exact-patterns.js';

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

/** How long a standby waits for a queue's own saver before it consumes the queue anyway. */
const OWNER_GRACE_MS = 10_000;
const STANDBY_POLL_MS = 250;

/** The part of an amqplib channel a listener's setup uses. */
interface RmqChannel {
  assertQueue(queue: string, options: unknown): Promise<{ consumerCount: number }>;
  consume(
    queue: string,
    onMessage: (message: Record<string, unknown> | null) => void,
    options: object,
  ): Promise<unknown>;
}

/** Nest's RabbitMQ client, publishing its requests without publisher confirms. */
export class UnconfirmedRmqClient extends ClientRMQ {
  override createClient(): AmqpConnectionManager {
    return withoutPublisherConfirms(super.createClient() as AmqpConnectionManager);
  }
}

export interface RmqQueueOptions {
  readonly durable: true;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/**
 * How a queue is declared, the same by its listener and its clients (RabbitMQ refuses a second
 * declaration with other arguments). A saver's queue with failover has a single active consumer:
 * every saver consumes it, one at a time gets its messages, and the next takes over at once when
 * that one's channel closes.
 */
export const rmqQueueOptions = (singleActiveConsumer: boolean): RmqQueueOptions =>
  singleActiveConsumer
    ? { durable: true, arguments: { 'x-single-active-consumer': true } }
    : { durable: true };

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
  tls: TlsFiles | undefined,
  queueOptions: RmqQueueOptions,
): ClientOptions | CustomClientOptions {
  // Replies come back on RabbitMQ's direct reply-to, which needs the client's default noAck.
  const options = { urls: [url], ...rmqSocketOptions(tls), queue, queueOptions };
  if (role === 'processor')
    return { transport: Transport.RMQ, options: { ...options, persistent: true } };
  return {
    customClass: UnconfirmedRmqClient as unknown as CustomClientOptions['customClass'],
    options: { ...options, persistent: false },
  };
}

/**
 * Nest's RabbitMQ listener, with three changes.
 * - It keeps the promise of each reply it publishes. Nest drops it (`ServerRMQ.sendMessage`), and
 *   amqp-connection-manager rejects it when the reply cannot go out: when the listener closes with
 *   replies still queued ("Channel closed"), or (with publisher confirms, as Nest has them) when
 *   the connection breaks while the reply waits for its confirm. A broker restart in the middle
 *   of a run left hundreds of these unhandled. A lost reply is what the caller's
 *   REQUEST_TIMEOUT_MS and retry are for (receivers are idempotent): logged, throttled, no more.
 * - Its channels publish without confirms (`withoutPublisherConfirms`).
 * - A handler's value is answered on the direct path (`withDirectReplies`) and, where nothing but
 *   the answer settles a message (`ackWithReply`: the server's requests), the message is
 *   acknowledged as its last reply packet goes out. Elsewhere `BrokerAckInterceptor` settles it
 *   once the handler's work is done, on Nest's own path. The server's answer on the direct path,
 *   with no interceptor and no confirm, took split RabbitMQ at 100×100 from about 3,900 to
 *   4,500–6,000 tasks/s.
 */
export class RmqServer extends withDirectReplies(withExactPatterns(ServerRMQ)) {
  private readonly lostReplies = new ThrottledLog(new Logger('RmqServer'), 'warn', 5000);
  /** Ends the standby waits of a listener that closes. */
  private readonly closing = new AbortController();

  constructor(
    /** Acknowledges each message as its last reply packet goes out (no interceptor settles it). */
    private readonly ackWithReply: boolean,
    options: ConstructorParameters<typeof ServerRMQ>[0],
    /**
     * Queues this listener stands by on, after its own (`SAVER_FAILOVER`: the other savers'):
     * declared like its own, each consumed once its own consumer is there (see `standBy`).
     */
    private readonly standbyQueues: readonly string[] = [],
  ) {
    super(options);
  }

  // After its own queue (Nest's setup), the standby queues; again on every new channel.
  override async setupChannel(channel: RmqChannel, callback: () => void): Promise<void> {
    await super.setupChannel(channel, callback);
    for (const queue of this.standbyQueues) void this.standBy(channel, queue);
  }

  override async close(): Promise<void> {
    this.closing.abort();
    await super.close();
  }

  /**
   * Consumes `queue` as a standby. The queue has a single active consumer, the first that came: so
   * the standby waits until the queue's own saver consumes it (or OWNER_GRACE_MS passed without
   * one), and savers started together each serve their own queue. Then the broker hands it this
   * listener's way only when every consumer before it has gone.
   */
  private async standBy(channel: RmqChannel, queue: string): Promise<void> {
    const since = Date.now();
    try {
      for (;;) {
        const { consumerCount } = await channel.assertQueue(queue, this.queueOptions);
        if (consumerCount > 0 || Date.now() - since >= OWNER_GRACE_MS) break;
        await delay(STANDBY_POLL_MS, undefined, { signal: this.closing.signal });
      }
      await channel.consume(
        queue,
        // null: the broker cancelled the consumer (its queue was deleted).
        (message) =>
          message &&
          void this.handleMessage(message, channel).catch((error: unknown) =>
            this.handleError(describeError(error)),
          ),
        { noAck: this.noAck },
      );
    } catch (error) {
      // The channel closed (its next one stands by again) or the listener did: nothing to do.
      if (!this.closing.signal.aborted)
        this.lostReplies.report(
          `standing by on ${queue} stopped (${describeError(error)}); it resumes with the next channel`,
        );
    }
  }

  // Its replies are confirmed by nothing (see `withoutPublisherConfirms`), its acks never are.
  override async createClient<T>(): Promise<T> {
    return withoutPublisherConfirms(await super.createClient<AmqpConnectionManager>()) as T;
  }

  override handleRequest(
    context: RmqContext,
    produce: () => Promise<Observable<unknown>>,
    respond: (packet: WritePacket) => Promise<unknown> | void,
  ): void {
    if (!this.ackWithReply) return super.handleRequest(context, produce, respond);
    const channel = context.getChannelRef() as { ack(message: unknown): void };
    const message = context.getMessage();
    return super.handleRequest(context, produce, async (packet) => {
      await respond(packet);
      // The last packet of the answer (a value, an error, or a stream's end): the message is done.
      if (!packet.isDisposed) return;
      try {
        channel.ack(message);
      } catch (error) {
        // The channel closed meanwhile: the broker delivers the message again on its own.
        this.lostReplies.report(`a message could not be acknowledged (${describeError(error)})`);
      }
    });
  }

  // Nest's sendMessage (12.1.1), with the publish's promise caught.
  override sendMessage<T>(message: T, replyTo: string, correlationId: string): void {
    const { options, ...packet } = this.serializer.serialize(message as OutgoingResponse) as {
      options?: Record<string, unknown>;
    };
    const content = Buffer.from(JSON.stringify(packet));
    const channel = this.channel as {
      sendToQueue(queue: string, content: Buffer, options: object): Promise<unknown>;
    };
    channel
      .sendToQueue(replyTo, content, { correlationId, ...options })
      .catch((error: unknown) =>
        this.lostReplies.report(
          `a reply could not be published (${describeError(error)}); its caller times out and sends again`,
        ),
      );
  }
}
