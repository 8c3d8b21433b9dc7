import { afterEach, describe, expect, it } from '@jest/globals';
import { ClientMqtt, ClientRedis, type CustomTransportStrategy } from '@nestjs/microservices';
import { connect as natsConnect } from '@nats-io/transport-node';
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception.js';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  SharedSubscriptionMqttServer,
  StickyReplyMqttClient,
} from '../../src/common/transport/mqtt/mqtt-transport.js';
import {
  MuxedInboxNatsClient,
  NatsServer,
} from '../../src/common/transport/nats/nats-transport.js';
import {
  ReconnectingRedisClient,
  RedisServer,
} from '../../src/common/transport/redis/redis-transport.js';
import { redisOptions } from '../../src/common/transport/redis/redis-connection.js';
import { assertBrokerUp } from '../support/brokers.js';
import { eventually } from '../support/sse.js';
import { closeAll } from '../support/close-all.js';

/**
 * How replies find their request on the brokers. On Redis and MQTT a listener replies to each client on the client's own channel, so a reply
 * reaches the one client that asked and no other (`private-replies.ts`). A third subscriber on the
 * real broker listens to every reply channel of the pattern and records where each reply went. A
 * plain Nest client, whose ids name no channel, still gets its replies on the shared one.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const REQUESTS = 20;

interface Listener extends CustomTransportStrategy {
  addHandler(pattern: string, handler: (data: unknown) => Promise<unknown>, isEvent: boolean): void;
  listen(callback: () => void): void;
}

/** What the test does with a Nest client (their generics differ between transports). */
interface Client {
  connect(): Promise<unknown>;
  close(): unknown;
  send<T>(pattern: string, data: unknown): Observable<T>;
}

interface BrokerCase {
  readonly name: 'redis' | 'mqtt';
  readonly listener: () => Listener;
  readonly client: () => Client;
  readonly plainClient: () => Client;
  /** The shared reply channel of a pattern, and the separator before a client's key. */
  readonly shared: (pattern: string) => string;
  readonly separator: string;
  /** Subscribes to every reply channel of `pattern` and calls `heard` with each reply's channel. */
  readonly eavesdrop: (
    pattern: string,
    heard: (channel: string) => void,
  ) => Promise<() => Promise<void>>;
}

const CASES: readonly BrokerCase[] = [
  {
    name: 'redis',
    listener: () => new RedisServer(redisOptions(REDIS_URL)),
    client: () => new ReconnectingRedisClient(redisOptions(REDIS_URL)),
    plainClient: () => new ClientRedis(redisOptions(REDIS_URL)),
    shared: (pattern) => `${pattern}.reply`,
    separator: '.',
    eavesdrop: async (pattern, heard) => {
      const subscriber = new Redis(REDIS_URL);
      subscriber.on('pmessage', (_glob: string, channel: string) => heard(channel));
      await subscriber.psubscribe(`${pattern}.reply*`);
      return async () => void (await subscriber.quit());
    },
  },
  {
    name: 'mqtt',
    listener: () =>
      new SharedSubscriptionMqttServer(`probe-${randomUUID()}`, {
        url: MQTT_URL,
      }),
    client: () => new StickyReplyMqttClient({ url: MQTT_URL }),
    plainClient: () => new ClientMqtt({ url: MQTT_URL }),
    shared: (pattern) => `${pattern}/reply`,
    separator: '/',
    eavesdrop: async (pattern, heard) => {
      const subscriber = await mqtt.connectAsync(MQTT_URL);
      subscriber.on('message', (topic) => heard(topic));
      await subscriber.subscribeAsync([`${pattern}/reply`, `${pattern}/reply/#`]);
      return async () => void (await subscriber.endAsync());
    },
  },
];

describe.each(CASES)('$name replies', (broker) => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    await closeAll(...cleanups.splice(0).reverse());
  });

  /** A listener echoing `probe-<uuid>` requests, and the channels its replies were heard on. */
  const setUp = async () => {
    await assertBrokerUp(broker.name);
    const pattern = `probe-${randomUUID()}`;
    const heard: string[] = [];
    cleanups.push(await broker.eavesdrop(pattern, (channel) => heard.push(channel)));
    const listener = broker.listener();
    listener.addHandler(pattern, (data) => Promise.resolve(data), false);
    await new Promise<void>((resolve) => listener.listen(resolve));
    cleanups.push(() => listener.close());
    return { pattern, heard };
  };

  const connected = async (client: Client): Promise<Client> => {
    cleanups.push(() => client.close());
    await client.connect();
    return client;
  };

  const ask = (client: Client, pattern: string, who: string) =>
    Promise.all(
      Array.from({ length: REQUESTS }, (_, n) =>
        firstValueFrom(client.send<string>(pattern, `${who} ${n}`)),
      ),
    );

  it('sends each reply to the one client that asked, on its own channel', async () => {
    const { pattern, heard } = await setUp();
    const one = await connected(broker.client());
    const other = await connected(broker.client());

    const [oneAnswers, otherAnswers] = await Promise.all([
      ask(one, pattern, 'one'),
      ask(other, pattern, 'other'),
    ]);
    expect(oneAnswers).toEqual(Array.from({ length: REQUESTS }, (_, n) => `one ${n}`));
    expect(otherAnswers).toEqual(Array.from({ length: REQUESTS }, (_, n) => `other ${n}`));

    await eventually(() => heard.length >= 2 * REQUESTS, 'every reply heard by the eavesdropper');
    const byChannel = new Map<string, number>();
    for (const channel of heard) byChannel.set(channel, (byChannel.get(channel) ?? 0) + 1);
    const shared = broker.shared(pattern);
    expect(byChannel.get(shared)).toBeUndefined();
    expect([...byChannel.values()]).toEqual([REQUESTS, REQUESTS]);
    for (const channel of byChannel.keys()) {
      expect(channel.startsWith(`${shared}${broker.separator}`)).toBe(true);
    }
  });

  it('still answers a plain Nest client on the shared channel', async () => {
    const { pattern, heard } = await setUp();
    const plain = await connected(broker.plainClient());

    expect(await ask(plain, pattern, 'plain')).toHaveLength(REQUESTS);
    await eventually(() => heard.length >= REQUESTS, 'every reply heard by the eavesdropper');
    expect(new Set(heard)).toEqual(new Set([broker.shared(pattern)]));
  });
});

/**
 * On NATS a client takes every reply through one subscription (`<inbox>.*`) instead of one inbox
 * per request, and finds the request by the subject's last token; NATS's "no responders" (an
 * empty reply) still reaches its request.
 */
describe('nats replies', () => {
  const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    await closeAll(...cleanups.splice(0).reverse());
  });

  it('answers each request with its own reply, all on one inbox of the client', async () => {
    await assertBrokerUp('nats');
    const pattern = `probe-${randomUUID()}`;
    const subjects: string[] = [];
    // A prefix of this test's own: other suites' clients share the broker and its `_INBOX`.
    const inboxPrefix = `_INBOX_${randomUUID().replaceAll('-', '')}`;
    const eavesdropper = await natsConnect({ servers: NATS_URL });
    cleanups.push(() => eavesdropper.close());
    eavesdropper.subscribe(`${inboxPrefix}.>`, {
      callback: (_error, message) => void subjects.push(message.subject),
    });
    await eavesdropper.flush();
    const listener = new NatsServer({ servers: [NATS_URL], queue: pattern });
    listener.addHandler(pattern, (data) => Promise.resolve(data), false);
    await new Promise<void>((resolve) => void listener.listen(() => resolve()));
    cleanups.push(() => listener.close());
    const client = new MuxedInboxNatsClient({ servers: [NATS_URL], inboxPrefix });
    cleanups.push(() => client.close());
    await client.connect();

    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, n) => firstValueFrom(client.send<number>(pattern, n))),
    );
    expect(answers).toEqual(Array.from({ length: 200 }, (_, n) => n));
    await eventually(() => subjects.length >= 200, 'every reply heard by the eavesdropper');
    const inboxes = new Set(subjects.map((subject) => subject.slice(0, subject.lastIndexOf('.'))));
    expect(inboxes.size).toBe(1);
    // One inbox (`<prefix>.<nuid>`) with a reply subject under it per request.
    expect([...inboxes][0]).toMatch(new RegExp(`^${inboxPrefix}\\.[^.]+$`));
    expect(new Set(subjects).size).toBe(200);
  });

  it('fails a request nobody listens to with the empty answer of NATS, not a timeout', async () => {
    await assertBrokerUp('nats');
    const client = new MuxedInboxNatsClient({ servers: [NATS_URL] });
    cleanups.push(() => client.close());
    await client.connect();

    await expect(firstValueFrom(client.send(`nobody-${randomUUID()}`, 1))).rejects.toThrow(
      EmptyResponseException,
    );
  });
});
