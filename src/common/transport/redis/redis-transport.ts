import {
  ClientRedis,
  ServerRedis,
  type OutgoingResponse,
  type ReadPacket,
  type RedisContext,
  type MsPattern,
  type WritePacket,
} from '@nestjs/microservices';
import { withDirectReplies } from '../nest-seam/direct-replies.js';
import { withExactPatterns } from '../nest-seam/exact-patterns.js';
import { withWireNames } from '../wire-names.js';
import { ReplyKey, replyChannelOf, SharedReplies } from '../private-replies.js';

/** What a listener publishes its replies with (Nest types the ioredis connection as any). */
interface Publisher {
  publish(channel: string, message: string): unknown;
}

/**
 * Nest's Redis listener, reconnecting for ever and replying to each client on its own channel
 * (`private-replies.ts`). Nest gives up after `retryAttempts` with a fixed `retryDelay` (and
 * without them, at once: a listener whose broker restarted never came back, and a process with
 * nothing else open exited with code 0). Here: exponential backoff up to 5 s, no end.
 */
export class RedisServer extends withWireNames(withDirectReplies(withExactPatterns(ServerRedis))) {
  override createRetryStrategy(times: number): undefined | number {
    return this.isManuallyClosed ? undefined : redisBackoffMs(times);
  }

  // Nest's getPublisher (12.1.1), publishing on the channel the request id names.
  override getPublisher(pub: Publisher, pattern: string, id: string, _ctx?: RedisContext) {
    const channel = replyChannelOf(this.getReplyPattern(pattern), id, '.');
    return (response: object) => {
      const outgoing: OutgoingResponse = Object.assign(response, { id });
      return pub.publish(channel, JSON.stringify(this.serializer.serialize(outgoing)));
    };
  }

  /** Nest quits one connection after the other: when the first fails, the second stays open. */
  override async close(): Promise<void> {
    await super.close().catch(() => disconnect(this.pubClient, this.subClient));
  }
}

/**
 * Nest's Redis client, reconnecting for ever like `RedisServer`, its replies on its own channel.
 * It listens on the shared reply channel too, where Nest's own listener answers (our listeners
 * answer it on its own channel, so the shared one stays quiet and costs nothing).
 */
export class ReconnectingRedisClient extends ClientRedis {
  private readonly replies = new ReplyKey();
  private readonly sharedReplies = new SharedReplies((channel) =>
    (this.subClient as Subscriber | null)?.subscribe(channel),
  );

  override getReplyPattern(pattern: string): string {
    return this.replies.channel(this.sharedReplyPattern(pattern), '.');
  }

  override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.sharedReplies.listen(
      this.sharedReplyPattern(this.normalizePattern(packet.pattern as MsPattern)),
    );
    return super.publish(packet, callback);
  }

  private sharedReplyPattern(pattern: string): string {
    return super.getReplyPattern(pattern);
  }

  protected override assignPacketId(packet: ReadPacket): ReadPacket & { id: string } {
    return Object.assign(packet, { id: this.replies.nextId() });
  }

  override createRetryStrategy(times: number): undefined | number {
    return this.isManuallyClosed ? undefined : redisBackoffMs(times);
  }

  /** As `RedisServer.close`: a connection that fails to quit leaves none open behind it. */
  override async close(): Promise<void> {
    this.sharedReplies.forget();
    await super.close().catch(() => disconnect(this.pubClient, this.subClient));
  }
}

interface Subscriber {
  subscribe(channel: string): unknown;
}

/** Drops Redis connections at once, whatever state they are in. */
function disconnect(...connections: unknown[]): void {
  for (const connection of connections) {
    (connection as { disconnect?: () => void } | null | undefined)?.disconnect?.();
  }
}

const redisBackoffMs = (times: number): number => Math.min(5000, 100 * 2 ** Math.min(times, 6));
