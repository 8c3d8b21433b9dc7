import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import {
  ClientNats,
  ServerNats,
  type MsPattern,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception.js';
import { withDirectReplies } from '../nest-seam/direct-replies.js';
import { withExactPatterns } from '../nest-seam/exact-patterns.js';
import { withWireNames } from '../wire-names.js';

/** Nest's NATS listener with the exact-pattern fast path, direct replies and wire names. */
export const NatsServer = withWireNames(withDirectReplies(withExactPatterns(ServerNats)));

type Answer = (packet: WritePacket) => void;

/**
 * Nest's NATS client with one reply subscription for all its requests, as `request()` in the NATS
 * client library has. Nest subscribes to a new inbox for every request and unsubscribes when it is
 * answered: two more protocol messages per request for the client and the broker, and a
 * subscription object to build and drop. Here each request is answered on `<inbox>.<id>`, one
 * wildcard subscription (`<inbox>.*`) takes every answer, and the id in the subject finds the
 * request: an answer with no body (NATS's "no responders") still reaches its request at once, as
 * Nest's `EmptyResponseException`.
 */
export class MuxedInboxNatsClient extends ClientNats {
  private inbox?: { readonly connection: NatsConnection; readonly prefix: string };
  /** The pattern of each request waiting for its answer, to name it in an empty answer. */
  private readonly patterns = new Map<string, string>();
  private ids = 0;

  protected override assignPacketId(packet: ReadPacket): ReadPacket & { id: string } {
    // A subject token: no dots, no spaces (Nest's ids are UUIDs; a counter is cheaper).
    this.ids += 1;
    return Object.assign(packet, { id: this.ids.toString(36) });
  }

  // Nest's publish (12.1.1), on the shared inbox.
  protected override publish(partialPacket: ReadPacket, callback: Answer): () => void {
    const packet = this.assignPacketId(partialPacket);
    const pattern = this.normalizePattern(partialPacket.pattern as MsPattern);
    const forget = () => {
      this.routingMap.delete(packet.id);
      this.patterns.delete(packet.id);
    };
    try {
      const connection = this.natsClient as NatsConnection;
      const { data, headers } = this.serializer.serialize(packet) as {
        data: Uint8Array;
        headers?: Parameters<ClientNats['mergeHeaders']>[0];
      };
      const reply = `${this.inboxOf(connection)}.${packet.id}`;
      this.routingMap.set(packet.id, callback);
      this.patterns.set(packet.id, pattern);
      connection.publish(pattern, data, { reply, headers: this.mergeHeaders(headers) as MsgHdrs });
      return forget;
    } catch (err) {
      forget();
      callback({ err });
      return () => undefined;
    }
  }

  /** Nest fails every waiting request on close; their patterns go with them. */
  override async close(): Promise<void> {
    this.patterns.clear();
    await super.close();
  }

  /** The inbox prefix of this connection, subscribed to once (a closed client gets a new one). */
  private inboxOf(connection: NatsConnection): string {
    if (this.inbox?.connection !== connection) {
      const prefix = createInbox(
        (this.options as { inboxPrefix?: string } | undefined)?.inboxPrefix,
      );
      connection.subscribe(`${prefix}.*`, {
        callback: (error, message) => {
          if (error) this.lose(prefix, error);
          else void this.answer(prefix.length + 1, message);
        },
      });
      this.inbox = { connection, prefix };
    }
    return this.inbox.prefix;
  }

  /**
   * A subscription that fails (e.g. not permitted) is closed by the NATS client: every request
   * waiting on it fails at once with the error, as Nest's inbox per request fails its request, and
   * the next request subscribes again. An error of an inbox already replaced changes nothing.
   */
  private lose(prefix: string, error: Error): void {
    if (this.inbox?.prefix !== prefix) return;
    this.inbox = undefined;
    for (const callback of [...this.routingMap.values()] as Answer[])
      callback({ err: error, isDisposed: true });
  }

  // Nest's createSubscriptionHandler (12.1.1), finding the request by the subject's last token.
  private async answer(idAt: number, message: Msg): Promise<void> {
    const id = message.subject.slice(idAt);
    const callback = this.routingMap.get(id) as Answer | undefined;
    if (!callback) return;
    if (message.data.length === 0) {
      callback({ err: new EmptyResponseException(this.patterns.get(id) ?? ''), isDisposed: true });
      return;
    }
    let answer: { err?: unknown; response?: unknown; isDisposed?: boolean };
    try {
      answer = (await this.deserializer.deserialize(message)) as typeof answer;
    } catch (error) {
      // A reply that is not JSON fails its own request, not the process (Nest's would reject).
      callback({ err: error, isDisposed: true });
      return;
    }
    const { err, response, isDisposed } = answer;
    callback(isDisposed || err ? { err, response, isDisposed: true } : { err, response });
  }
}
