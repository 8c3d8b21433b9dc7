import { beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  RpcException,
  Transport,
  type ClientOptions,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { EMPTY, from, lastValueFrom, timeout, toArray } from 'rxjs';
import { loadSettings } from '../../src/common/settings/environment.js';
import type { Settings, TransportName } from '../../src/common/settings/settings.js';
import { clientOptions, serverOptions } from '../../src/common/transport/transport-options.js';
import { tmpdir } from 'node:os';
import { assertBrokerUp, givenBrokerUrls, resetBroker } from '../support/brokers.js';
import { closeAll } from '../support/close-all.js';
import { freePort } from '../../harness/ports.js';
import { rawExchange } from '../support/raw-exchange.js';
import { testEnvironment } from '../support/test-system.js';

/**
 * Our transports subclass Nest's servers and clients and change how they answer (direct replies,
 * exact patterns, shared subscriptions, muxed inboxes…). This holds them to Nest's behaviour on
 * every transport, with real brokers: each request below goes from Nest's own client and from ours,
 * to Nest's own server and to ours, and all four pairs must see the same thing — the same values,
 * in the same order, the same errors, the same end of a stream.
 */
@Controller()
class ConformanceController {
  @MessagePattern('conformance.value')
  value(@Payload() data: unknown): unknown {
    return { echoed: data };
  }

  @MessagePattern('conformance.promise')
  async promise(@Payload() data: unknown): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    return { later: data };
  }

  @MessagePattern('conformance.stream')
  stream(): unknown {
    return from([1, 'two', { three: 3 }]);
  }

  @MessagePattern('conformance.empty')
  empty(): unknown {
    return EMPTY;
  }

  @MessagePattern('conformance.nothing')
  nothing(): unknown {
    return undefined;
  }

  @MessagePattern('conformance.refused')
  refused(): unknown {
    throw new RpcException({ status: 'error', message: 'refused on purpose', retryable: true });
  }

  @MessagePattern('conformance.broken')
  broken(): unknown {
    throw new Error('a bug the caller must not see');
  }
}

@Module({ controllers: [ConformanceController] })
class ConformanceModule {}

/** Every request, with its data. */
const REQUESTS: readonly [string, unknown][] = [
  ['conformance.value', { n: 1, text: 'é ✓', list: [1, null, true] }],
  ['conformance.value', 'a plain string'],
  ['conformance.promise', 42],
  // Nest's clients refuse to send null or undefined data.
  ['conformance.stream', {}],
  ['conformance.empty', {}],
  ['conformance.nothing', {}],
  ['conformance.refused', {}],
  ['conformance.broken', {}],
];

/** What a caller sees of one request: every value, then how it ended. */
type Outcome = { values: unknown[] } | { error: unknown };

async function ask(client: ClientProxy, pattern: string, data: unknown): Promise<Outcome> {
  try {
    return {
      values: await lastValueFrom(client.send(pattern, data).pipe(toArray(), timeout(10_000))),
    };
  } catch (error) {
    // A plain object: an Error's own fields (message, name) or Nest's error object as it came.
    return {
      error: error instanceof Error ? { name: error.name, message: error.message } : error,
    };
  }
}

/** Nest's own options for `transport`, on the queue, subject or port our listener of `role` uses. */
function nestOptions(settings: Settings): { server: MicroserviceOptions; client: ClientOptions } {
  const { brokers } = settings;
  switch (settings.transport) {
    case 'tcp': {
      const options = { host: '127.0.0.1', port: settings.peers.server.port };
      return {
        server: { transport: Transport.TCP, options },
        client: { transport: Transport.TCP, options },
      };
    }
    case 'nats': {
      const options = { servers: [brokers.natsUrl] };
      return {
        server: { transport: Transport.NATS, options },
        client: { transport: Transport.NATS, options },
      };
    }
    case 'rmq': {
      const options = {
        urls: [brokers.rmqUrl],
        queue: 'ordered-pipeline.server',
        queueOptions: { durable: true },
      };
      return {
        server: { transport: Transport.RMQ, options },
        client: { transport: Transport.RMQ, options },
      };
    }
    case 'redis': {
      const url = new URL(brokers.redisUrl);
      const options = { host: url.hostname, port: Number(url.port || 6379) };
      return {
        server: { transport: Transport.REDIS, options },
        client: { transport: Transport.REDIS, options },
      };
    }
    case 'mqtt': {
      const options = { url: brokers.mqttUrl };
      return {
        server: { transport: Transport.MQTT, options },
        client: { transport: Transport.MQTT, options },
      };
    }
    case 'local':
      throw new Error('the in-process transport has no Nest counterpart');
  }
}

const TRANSPORTS: TransportName[] = ['tcp', 'nats', 'rmq', 'redis', 'mqtt'];

describe.each(TRANSPORTS)('%s: our server and client behave as Nest’s own', (transport) => {
  let settings: Settings;
  const outcomes = new Map<string, Outcome[]>();
  /** By listener: the raw replies to each request, as `rawExchange` read them off the wire. */
  const wire = new Map<string, string[][]>();

  beforeAll(async () => {
    if (transport !== 'tcp') {
      await assertBrokerUp(transport);
      await resetBroker(transport);
    }
    settings = loadSettings({
      ...testEnvironment(tmpdir()),
      ...givenBrokerUrls(),
      TRANSPORT: transport,
      SERVER_PORT: String(await freePort()),
    });
    const nest = nestOptions(settings);
    const servers = { nest: nest.server, ours: serverOptions(settings, 'server') };
    const clients = { nest: nest.client, ours: clientOptions(settings, 'server') };
    // One server at a time: on a broker, two would share (or both take) every request.
    for (const [serverName, options] of Object.entries(servers)) {
      let server: INestMicroservice | undefined;
      const opened: ClientProxy[] = [];
      try {
        server = await NestFactory.createMicroservice(ConformanceModule, {
          ...options,
          logger: false,
        });
        await server.listen();
        const raw: string[][] = [];
        for (const [pattern, data] of REQUESTS)
          raw.push(await rawExchange(settings, pattern, data));
        wire.set(serverName, raw);
        for (const [clientName, clientOptionsOf] of Object.entries(clients)) {
          const client = ClientProxyFactory.create(clientOptionsOf);
          opened.push(client);
          await client.connect();
          const seen: Outcome[] = [];
          for (const [pattern, data] of REQUESTS) seen.push(await ask(client, pattern, data));
          outcomes.set(`${clientName} client → ${serverName} server`, seen);
        }
      } finally {
        await closeAll(
          ...opened.map((client) => async () => {
            await client.close();
          }),
          () => server?.close(),
        );
      }
    }
  }, 120_000);

  it('answers every request as Nest’s client sees Nest’s server answer it', () => {
    const nestToNest = outcomes.get('nest client → nest server');
    expect(nestToNest).toHaveLength(REQUESTS.length);
    for (const [pair, seen] of outcomes) expect({ pair, seen }).toEqual({ pair, seen: nestToNest });
  });

  it('writes the same bytes on the wire as Nest’s server, for every request', () => {
    const nest = wire.get('nest') ?? [];
    // Nest's server answered each request (a stream of three values in three replies).
    expect(nest.map((replies) => replies.length)).toEqual([1, 1, 1, 3, 1, 1, 1, 1]);
    REQUESTS.forEach(([pattern], at) =>
      expect({ pattern, ours: wire.get('ours')?.[at] }).toEqual({ pattern, ours: nest[at] }),
    );
  });

  it('has what a caller relies on: values, streams in order, errors as thrown', () => {
    const seen = outcomes.get('ours client → ours server') ?? [];
    const byPattern = (pattern: string) => seen[REQUESTS.findIndex(([p]) => p === pattern)];
    expect(seen[0]).toEqual({ values: [{ echoed: REQUESTS[0][1] }] });
    expect(byPattern('conformance.stream')).toEqual({ values: [1, 'two', { three: 3 }] });
    expect(byPattern('conformance.refused')).toEqual({
      error: { status: 'error', message: 'refused on purpose', retryable: true },
    });
    expect(byPattern('conformance.broken')).toEqual({
      error: { status: 'error', message: 'Internal server error' },
    });
  });
});
