import type {
  ClientOptions,
  CustomClientOptions,
  MicroserviceOptions,
} from '@nestjs/microservices';
import type { Endpoint, PeerRole, Settings } from '../settings/settings.js';
import { framedSocketClass } from './tcp/framed-json-socket.js';
import { GuardedTcpServer } from './tcp/guarded-tcp-server.js';
import { LocalClient, LocalServer } from './local/local-transport.js';
import { MuxedInboxNatsClient, NatsServer } from './nats/nats-transport.js';
import { SharedSubscriptionMqttServer, StickyReplyMqttClient } from './mqtt/mqtt-transport.js';
import { rmqClientOptions, rmqQueueOptions, RmqServer } from './rmq/rmq-transport.js';
import { checkRmqAccess, rmqSocketOptions } from './rmq/rmq-connection.js';
import { ReconnectingRedisClient, RedisServer } from './redis/redis-transport.js';
import { checkRedisAccess, redisOptions } from './redis/redis-connection.js';
import { checkNatsAccess, natsConnection } from './nats/nats-connection.js';
import { checkMqttAccess, mqttOptions } from './mqtt/mqtt-connection.js';
import { withoutSecret } from './broker-access.js';
import { clientWithWireNames, groupOf, shardOf, wireNameOf, type WireName } from './wire-names.js';
import { ThrottledTcpClient } from './tcp/tcp-client.js';

/**
 * The one place that knows the transport: turns (settings, role) into the options of a Nest
 * client that calls that role, or of the listener that serves it. Every role has its own queue
 * (RabbitMQ) or group (NATS, MQTT), so the replicas of one role share its work and two roles
 * never take each other's messages.
 */
export function clientOptions(
  settings: Settings,
  role: PeerRole,
  /** Which saver (a client of the saver) or server (a client of the server on TCP): 0, 1, … */
  which = 0,
): ClientOptions | CustomClientOptions {
  const { brokers } = settings;
  const wireName = wireNameOf(settings, role, which);
  // A broker's Nest client, sending each pattern under its wire name. Nest types customClass as a
  // ClientProxy of string statuses; the broker clients' are narrower.
  const wireNamed = (client: Parameters<typeof clientWithWireNames>[0]) =>
    clientWithWireNames(client, wireName) as unknown as CustomClientOptions['customClass'];
  switch (settings.transport) {
    case 'tcp':
      return {
        customClass: ThrottledTcpClient as unknown as CustomClientOptions['customClass'],
        options: {
          ...endpointOf(settings, role, which),
          // A client reads replies: a saver status lists up to `missingLimit` missing seqs.
          socketClass: framedSocketClass({
            maxFrameLength: settings.tcp.maxReplyBytes,
            incompleteFrameTimeoutMs: settings.tcp.idleTimeoutMs,
          }),
          // Presents its certificate and checks the listener's against TLS_CA and the host dialled.
          ...(settings.tls ? { tlsOptions: { ...settings.tls } } : {}),
        },
      };
    case 'nats':
      return {
        customClass: wireNamed(MuxedInboxNatsClient),
        options: natsConnection(brokers.natsUrl, brokers.natsCredentials, settings.tls),
      };
    case 'rmq':
      return rmqClientOptions(
        brokers.rmqUrl,
        groupOf(settings, role, which),
        role,
        settings.tls,
        rmqQueueOptions(standsBy(settings, role)),
      );
    case 'redis':
      return {
        customClass: wireNamed(ReconnectingRedisClient),
        options: redisOptions(brokers.redisUrl, settings.tls),
      };
    case 'local':
      return {
        customClass: LocalClient as unknown as CustomClientOptions['customClass'],
        options: { role },
      };
    case 'mqtt':
      return {
        customClass: wireNamed(StickyReplyMqttClient),
        options: mqttOptions(brokers.mqttUrl, settings.tls),
      };
  }
}

export function serverOptions(settings: Settings, role: PeerRole): MicroserviceOptions {
  const { brokers } = settings;
  // A saver serves its own runs only: its patterns under its own names, its own queue.
  const which = role === 'saver' ? settings.savers.index : 0;
  const named = <T extends { wireName: WireName }>(server: T): T =>
    Object.assign(server, { wireName: wireNameOf(settings, role, which) });
  switch (settings.transport) {
    case 'tcp':
      return {
        strategy: new GuardedTcpServer({
          host: settings.listenHost,
          port: settings.peers[role].port,
          maxConnections: settings.tcp.maxConnections,
          // A listener reads requests, each well under 1 KB.
          socketClass: framedSocketClass({
            maxFrameLength: settings.tcp.maxFrameBytes,
            incompleteFrameTimeoutMs: settings.tcp.idleTimeoutMs,
          }),
          // Only a peer with a certificate TLS_CA signed gets past the handshake.
          ...(settings.tls
            ? { tlsOptions: { ...settings.tls, requestCert: true, rejectUnauthorized: true } }
            : {}),
        }),
      };
    case 'nats':
      return {
        // Like the other brokers' listeners: keep trying until the broker is there.
        strategy: named(
          new NatsServer({
            ...natsConnection(brokers.natsUrl, brokers.natsCredentials, settings.tls),
            queue: groupOf(settings, role, which),
            waitOnFirstConnect: true,
            maxReconnectAttempts: -1,
          }),
        ),
      };
    case 'rmq':
      return {
        strategy: new RmqServer(
          !acknowledgesWhenDone(settings, role),
          {
            urls: [brokers.rmqUrl],
            ...rmqSocketOptions(settings.tls),
            queue: groupOf(settings, role, which),
            queueOptions: rmqQueueOptions(standsBy(settings, role)),
            // Nest's default is noAck: true, which loses whatever a consumer held when it died.
            noAck: false,
            prefetchCount: brokers.rmqPrefetch,
          },
          standbyQueues(settings, role, which),
        ),
      };
    case 'redis':
      return { strategy: named(new RedisServer(redisOptions(brokers.redisUrl, settings.tls))) };
    case 'local':
      return { strategy: new LocalServer(role) };
    case 'mqtt':
      return {
        strategy: named(
          new SharedSubscriptionMqttServer(
            groupOf(settings, role, which),
            mqttOptions(brokers.mqttUrl, settings.tls),
          ),
        ),
      };
  }
}

/**
 * Whether the listeners of `role` stand by for each other (`SAVER_FAILOVER`, RabbitMQ only, as
 * the settings check): every saver consumes every saver's queue, one active per queue.
 */
const standsBy = (settings: Settings, role: PeerRole): boolean =>
  role === 'saver' && settings.savers.failover;

/** The other savers' queues saver `which` stands by on (none without failover). */
const standbyQueues = (settings: Settings, role: PeerRole, which: number): string[] =>
  standsBy(settings, role)
    ? Array.from({ length: settings.savers.count }, (_, saver) => saver)
        .filter((saver) => saver !== which)
        .map((saver) => groupOf(settings, role, saver))
    : [];

/**
 * Whether the transport takes an acknowledgement from the consumer once the message is dealt
 * with (RabbitMQ with noAck: false): then a handler's work must finish before it is acknowledged.
 */
export const acknowledgesToBroker = (settings: Settings): boolean => settings.transport === 'rmq';

/**
 * Whether a listener of `role` acknowledges each message to the broker when its handler's work is
 * done (`BrokerAckInterceptor`): on RabbitMQ, for the processor (it answers before its work is
 * done) and the saver. The server's answer is the whole of its work (the processor has taken the
 * task, or refused it), so its listener acknowledges each message as it sends the reply, on the
 * direct path (`RmqServer`); a server that dies before leaves the message to another server.
 */
export const acknowledgesWhenDone = (settings: Settings, role: PeerRole): boolean =>
  acknowledgesToBroker(settings) && role !== 'server';

/** Whether replicas of one role share its messages (false: every replica would get every one). */
export const sharesWorkBetweenReplicas = (settings: Settings): boolean =>
  settings.transport !== 'redis';

/** Who a client of `role` talks to, as an error message should name it: `saver 2 at …`. */
export function describePeer(settings: Settings, role: PeerRole, which = 0): string {
  const { brokers } = settings;
  const shard = shardOf(settings, role, which);
  const name = shard === undefined ? role : `${role} ${shard}`;
  switch (settings.transport) {
    case 'tcp': {
      const { host, port } = endpointOf(settings, role, which);
      return `${name} at ${host}:${port}`;
    }
    case 'local':
      return `${name} (in this process)`;
    case 'nats':
      return `${name} via NATS at ${withoutSecret(brokers.natsUrl)}`;
    case 'rmq':
      return `${name} via RabbitMQ at ${withoutSecret(brokers.rmqUrl)}`;
    case 'redis':
      return `${name} via Redis at ${withoutSecret(brokers.redisUrl)}`;
    case 'mqtt':
      return `${name} via MQTT at ${withoutSecret(brokers.mqttUrl)}`;
  }
}

/**
 * Where `role` is reached on TCP: saver `which` of SAVER_ADDRESSES, server `which` (round the
 * list) of SERVER_ADDRESSES, else the one peer of the settings (its port bound by now when it
 * runs in this process).
 */
export function endpointOf(settings: Settings, role: PeerRole, which = 0): Endpoint {
  const listed =
    role === 'saver'
      ? settings.savers.addresses
      : role === 'server'
        ? settings.serverAddresses
        : undefined;
  return listed ? listed[which % listed.length] : settings.peers[role];
}

/** Where a listener of `role` started here takes its requests, as the start-up line says it. */
export function describeListener(settings: Settings, role: PeerRole): string {
  if (settings.transport === 'tcp')
    return `${role} tcp://${settings.listenHost}:${settings.peers[role].port}`;
  return describePeer(settings, role, role === 'saver' ? settings.savers.index : 0);
}

/**
 * Before any module starts: a broker that is there but turns this process away (credentials, a
 * certificate) ends the start with `BrokerRefusedError`, naming it; one not there yet is waited
 * for by the listeners and clients, as always.
 */
export async function checkBrokerAccess(settings: Settings): Promise<void> {
  const { brokers, tls } = settings;
  switch (settings.transport) {
    case 'nats':
      return checkNatsAccess(brokers.natsUrl, brokers.natsCredentials, tls);
    case 'rmq':
      return checkRmqAccess(brokers.rmqUrl, tls);
    case 'redis':
      return checkRedisAccess(brokers.redisUrl, tls);
    case 'mqtt':
      return checkMqttAccess(brokers.mqttUrl, tls);
    case 'tcp':
    case 'local':
      return;
  }
}

/** The port a started listener is bound to (it differs from the setting when that was 0). */
export function listeningPort(
  settings: Settings,
  listener: { unwrap<T>(): T },
): number | undefined {
  if (settings.transport !== 'tcp') return undefined;
  const address = listener.unwrap<{ address(): unknown }>().address();
  return typeof address === 'object' && address !== null && 'port' in address
    ? (address as { port: number }).port
    : undefined;
}
