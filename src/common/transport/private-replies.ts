import { randomBytes } from 'node:crypto';

/**
 * Replies addressed to the one client that asked, on the brokers where Nest shares them out.
 *
 * Nest's Redis and MQTT clients wait for replies on one channel per pattern (`<pattern>.reply`,
 * `<pattern>/reply`) that every client of the pattern subscribes to, so the broker hands every
 * reply to every client and each parses it to find it is not its own. A run of 100 connections
 * parsed each reply 100 times: about 1 ms of the client's CPU per task, five times what the rest
 * of the system spent on it.
 *
 * Here a client has a key of its own, writes it at the head of every request id (`<key>~<n>`) and
 * listens on its own channel (`<pattern>.reply.<key>`); a listener replies on the channel the id
 * names. An id without a key (a plain Nest client) is answered on the shared channel, as by Nest.
 */
export class ReplyKey {
  /** 12 characters of base64url: a valid Redis channel and MQTT topic level, unique per client. */
  readonly key = randomBytes(9).toString('base64url');
  private sent = 0;

  /** A request id unique within this client, naming it as the one to reply to. */
  nextId(): string {
    this.sent += 1;
    return `${this.key}${KEY_END}${this.sent.toString(36)}`;
  }

  /** The client's own reply channel for a pattern whose shared one is `shared`. */
  channel(shared: string, separator: string): string {
    return `${shared}${separator}${this.key}`;
  }
}

/**
 * The shared reply channels a client listens on besides its own, for a listener that is Nest's
 * (it answers every client there). Subscribed once per channel and kept while connected.
 */
export class SharedReplies {
  private readonly listening = new Set<string>();

  constructor(private readonly subscribe: (channel: string) => unknown) {}

  listen(channel: string): void {
    if (this.listening.has(channel)) return;
    this.listening.add(channel);
    // Before the request's own subscription: the broker takes them in order, so both are in place
    // before the request leaves.
    void Promise.resolve(this.subscribe(channel)).catch(() => this.listening.delete(channel));
  }

  /** The connection closed: its subscriptions are gone. */
  forget(): void {
    this.listening.clear();
  }
}

const KEY_END = '~';
const KEY = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Where a listener replies to request `id`: the asking client's own channel when the id names a
 * key, else the shared one. Anything else in an id (a forged one) gets the shared channel.
 */
export function replyChannelOf(shared: string, id: unknown, separator: string): string {
  if (typeof id !== 'string') return shared;
  const end = id.indexOf(KEY_END);
  const key = end > 0 ? id.slice(0, end) : '';
  return KEY.test(key) ? `${shared}${separator}${key}` : shared;
}
