import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Patterns } from '../../contracts/patterns.js';
import type { PeerRole, Settings } from '../../settings/settings.js';
import { sharesWorkBetweenReplicas } from '../transport-options.js';
import { wireNameOf } from '../wire-names.js';
import { redisOptions } from './redis-connection.js';

/** The request channel each role listens on. */
const REQUEST_CHANNEL: Record<PeerRole, string> = {
  server: Patterns.serverTask,
  processor: Patterns.processorTasks,
  saver: Patterns.saverResults,
};

export class ReplicaRefusedError extends Error {}

/**
 * Redis pub/sub gives every subscriber every message: a second replica of a role would do every
 * task again. Called once a listener is up; refuses to go on when another replica of the role is
 * already subscribed.
 */
export async function assertSoleConsumer(settings: Settings, role: PeerRole): Promise<void> {
  if (sharesWorkBetweenReplicas(settings)) return;
  const channel = wireNameOf(settings, role, settings.savers.index)(REQUEST_CHANNEL[role]);
  const redis = new Redis({
    ...redisOptions(settings.brokers.redisUrl, settings.tls),
    lazyConnect: true,
    maxRetriesPerRequest: 3,
  });
  try {
    await redis.connect();
    const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    if (count > 1) {
      throw new ReplicaRefusedError(
        `TRANSPORT=${settings.transport} cannot share work: ${count} ${role}s listen on ` +
          `"${channel}" and each would get every message. Run one ${role}, or use ` +
          `nats, rmq or mqtt to scale it.`,
      );
    }
    new Logger('Transport').log(`${role} is the only one on "${channel}"`);
  } finally {
    redis.disconnect();
  }
}
