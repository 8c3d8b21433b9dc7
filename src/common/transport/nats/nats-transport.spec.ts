import { describe, expect, it } from '@jest/globals';
import type { WritePacket } from '@nestjs/microservices';
import { MuxedInboxNatsClient } from './nats-transport.js';

type SubscriptionCallback = (
  error: Error | null,
  message: { subject: string; data: Uint8Array },
) => void;

/** A NATS connection that keeps what is subscribed and published, for the test to answer. */
class FakeConnection {
  readonly subscriptions: { subject: string; callback: SubscriptionCallback }[] = [];
  readonly published: { subject: string; reply: string }[] = [];
  subscribe(subject: string, { callback }: { callback: SubscriptionCallback }) {
    this.subscriptions.push({ subject, callback });
  }
  publish(subject: string, _data: unknown, { reply }: { reply: string }) {
    this.published.push({ subject, reply });
  }
}

/** The client with a fake connection, and its protected `publish` as a function. */
function clientOver(connection: FakeConnection) {
  const client = new MuxedInboxNatsClient({ servers: ['nats://127.0.0.1:1'] });
  Object.assign(client, { natsClient: connection });
  const publish = (pattern: string, answer: (packet: WritePacket) => void) =>
    (client as unknown as { publish(p: object, cb: typeof answer): () => void }).publish(
      { pattern, data: 1 },
      answer,
    );
  return { client, publish };
}

describe('MuxedInboxNatsClient', () => {
  it('subscribes once for all its requests and answers each by the last token of its subject', () => {
    const connection = new FakeConnection();
    const { publish } = clientOver(connection);
    const answers: WritePacket[][] = [[], []];
    publish('a', (packet) => answers[0].push(packet));
    publish('b', (packet) => answers[1].push(packet));

    expect(connection.subscriptions).toHaveLength(1);
    const [inbox] = connection.subscriptions;
    expect(
      connection.published.map(({ reply }) => reply.startsWith(inbox.subject.slice(0, -1))),
    ).toEqual([true, true]);
    // NATS's "no responders": an empty message on the request's own subject.
    inbox.callback(null, { subject: connection.published[1].reply, data: new Uint8Array() });
    expect(answers[0]).toEqual([]);
    expect(answers[1]).toHaveLength(1);
    expect(String(answers[1][0].err)).toContain('"b"');
  });

  it('fails every waiting request at once when its subscription fails, and subscribes again', () => {
    const connection = new FakeConnection();
    const { publish } = clientOver(connection);
    const answers: WritePacket[] = [];
    publish('a', (packet) => answers.push(packet));
    publish('a', (packet) => answers.push(packet));

    const refused = new Error('Permissions Violation for Subscription');
    connection.subscriptions[0].callback(refused, { subject: '', data: new Uint8Array() });
    expect(answers).toEqual([
      { err: refused, isDisposed: true },
      { err: refused, isDisposed: true },
    ]);
    publish('a', () => undefined);
    expect(connection.subscriptions).toHaveLength(2);
  });
});
