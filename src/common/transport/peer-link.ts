import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import pLimit, { type LimitFunction } from 'p-limit';
import type { PeerRole, Settings } from '../settings/settings.js';
import { clientOptions } from './transport-options.js';
import { requestWithRetry, retryPolicy, type RetryPolicy } from './request-with-retry.js';

interface Lane {
  readonly proxy: ClientProxy;
  readonly limit: LimitFunction;
}

/**
 * A module's link to a peer role: several connections, each with a bounded number of requests in
 * flight. The bound matters: a Nest TCP socket with too many requests in flight in both directions
 * can deadlock (see docs/NEST12-NOTES.md), and a hop like server → processor gathers the requests of
 * every client connection onto itself.
 */
export class PeerLink implements OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly lanes: Lane[];
  private readonly policy: RetryPolicy;
  private nextLane = 0;

  constructor(
    settings: Settings,
    readonly role: PeerRole,
  ) {
    this.logger = new Logger(`PeerLink(${role})`);
    this.policy = retryPolicy(settings);
    this.lanes = Array.from({ length: settings.linkSockets }, () => ({
      proxy: ClientProxyFactory.create(clientOptions(settings, role)),
      limit: pLimit(settings.linkWindow),
    }));
  }

  /** Sends a request on the least busy connection; retries transport failures with backoff. */
  send<R>(pattern: string, data: unknown): Promise<R> {
    const lane = this.pickLane();
    return lane.limit(() => requestWithRetry<R>(lane.proxy, pattern, data, this.policy));
  }

  /** Requests waiting for a free slot plus requests in flight, over every connection. */
  get pending(): number {
    return this.lanes.reduce(
      (sum, lane) => sum + lane.limit.activeCount + lane.limit.pendingCount,
      0,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.lanes.map(async (lane) => void (await lane.proxy.close())));
    this.logger.debug('closed');
  }

  private pickLane(): Lane {
    // Round robin, but skip a lane that is backed up while another one has room.
    const start = this.nextLane++ % this.lanes.length;
    let best = this.lanes[start];
    for (const lane of this.lanes) {
      if (
        lane.limit.activeCount + lane.limit.pendingCount <
        best.limit.activeCount + best.limit.pendingCount
      ) {
        best = lane;
      }
    }
    return best;
  }
}
