import amqp from 'amqplib';
import { connect } from 'node:net';
import type { TransportName } from '../../src/common/settings/settings.js';

const BROKER_PORTS: Partial<Record<TransportName, [string, number]>> = {
  nats: ['NATS', 4222],
  rmq: ['RabbitMQ', 5672],
  redis: ['Redis', 6379],
  mqtt: ['Mosquitto', 1883],
};

/** Fails at once, and says what to do, when the transport's local broker is not listening. */
export async function assertBrokerUp(transport: TransportName): Promise<void> {
  const broker = BROKER_PORTS[transport];
  if (!broker) return;
  const [name, port] = broker;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve();
    });
    socket.on('error', () =>
      reject(
        new Error(
          `${name} is not listening on 127.0.0.1:${port}: start it with \`bash .ci/brokers.sh\``,
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
  const connection = await amqp.connect(process.env.RMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  try {
    const channel = await connection.createChannel();
    for (const role of ['server', 'processor', 'saver'])
      await channel.deleteQueue(`ordered-pipeline.${role}`);
    await channel.close();
  } finally {
    await connection.close();
  }
}
