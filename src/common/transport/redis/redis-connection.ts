import type { RedisOptions } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import type { TlsFiles } from '../../settings/tls-files.js';
import {
  ACCESS_CHECK_TIMEOUT_MS,
  checkAccess,
  tlsConnectOptions,
  withoutSecret,
} from '../broker-access.js';

/**
 * ioredis options from a `redis://` or `rediss://` URL (an ACL user and password in it), with the
 * TLS files when they are set.
 */
export function redisOptions(url: string, tls?: TlsFiles): Required<RedisOptions>['options'] {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || 0);
  return {
    // Commands issued in one turn of the event loop leave in one write (a PUBLISH per request
    // and per reply; one write each was the largest cost of a Redis client's CPU).
    enableAutoPipelining: true,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db } : {}),
    ...(parsed.protocol === 'rediss:' || tls ? { tls: tlsConnectOptions(tls) } : {}),
  };
}

/** Connects once and asks `PING` before the start: a refused login or certificate ends it. */
export function checkRedisAccess(url: string, tls: TlsFiles | undefined): Promise<void> {
  const options = redisOptions(url, tls);
  return checkAccess(
    `Redis at ${withoutSecret(url)}`,
    'REDIS_URL and TLS_*',
    options.tls !== undefined,
    async () => {
      const redis = new Redis({
        ...options,
        enableAutoPipelining: false,
        lazyConnect: true,
        connectTimeout: ACCESS_CHECK_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // A refused login comes as an event; the calls then fail with "Connection is closed".
      let reported: unknown;
      redis.on('error', (error: unknown) => (reported = error));
      try {
        await redis.connect();
        await redis.ping();
      } catch (thrown) {
        throw reported ?? thrown;
      } finally {
        redis.disconnect();
      }
    },
    (error) => {
      const message = (error as Error | null)?.message ?? '';
      return /WRONGPASS|NOAUTH|NOPERM/.test(message) ? message : undefined;
    },
  );
}
