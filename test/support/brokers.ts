import amqp from 'amqplib';
import { connect } from 'node:net';
import type { TransportName } from '../../src/common/settings/settings.js';

/** Each broker's name, the setting of its URL, and its usual local address (.ci/brokers.sh). */
const BROKERS: Partial<Record<TransportName, [string, BrokerUrlSetting, string]>> = {
  nats: ['NATS', 'NATS_URL', 'nats://127.0.0.1:4222'],
  rmq: ['RabbitMQ', 'RMQ_URL', 'amqp://guest:guest@127.0.0.1:5672'],
  redis: ['Redis', 'REDIS_URL', 'redis://127.0.0.1:6379'],
  mqtt: ['Mosquitto', 'MQTT_URL', 'mqtt://127.0.0.1:1883'],
};

export type BrokerUrlSetting = 'NATS_URL' | 'RMQ_URL' | 'REDIS_URL' | 'MQTT_URL';

/**
 * The broker URLs given to the test run (`NATS_URL=… npm run jest`), for the systems the tests
 * start in-process; processes they spawn inherit them anyway.
 */
export const givenBrokerUrls = (): Partial<Record<BrokerUrlSetting, string>> =>
  Object.fromEntries(
    (['NATS_URL', 'RMQ_URL', 'REDIS_URL', 'MQTT_URL'] as const)
      .filter((name) => process.env[name])
      .map((name) => [name, process.env[name]]),
  );

/** Fails at once, and says what to do, when the transport's broker is not listening. */
export async function assertBrokerUp(transport: TransportName): Promise<void> {
  const broker = BROKERS[transport];
  if (!broker) return;
  const [name, setting, usual] = broker;
  const url = new URL(process.env[setting] || usual);
  const port = Number(url.port);
  await new Promise<void>((resolve, reject) => {
    // Destroyed, not ended: a broker may keep a half-closed connection open for seconds.
    const socket = connect(port, url.hostname, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', () =>
      reject(
        new Error(
          `${name} is not listening on ${url.hostname}:${port} (${setting}): start it with \`bash .ci/brokers.sh\``,
        ),
      ),
    );
  });
}

/**
 * RabbitMQ queues are durable: messages a stopped run left behind would be taken by the next
 * test's consumers. Each test of the rmq transport starts on empty queues.
 */
export async function resetBroker(transport: TransportName): Promise<void> {
  if (transport !== 'rmq') return;
  await deleteQueues(['server', 'processor', 'saver'].map((role) => `ordered-pipeline.${role}`));
}

/** Deletes RabbitMQ queues a test made (durable ones outlive it otherwise). */
export async function deleteQueues(names: readonly string[]): Promise<void> {
  const connection = await amqp.connect(process.env.RMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.close();
  } finally {
    await connection.close();
  }
}
