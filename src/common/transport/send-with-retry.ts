import type { ClientProxy } from '@nestjs/microservices';
import { defer, retry, timeout, timer, type Observable } from 'rxjs';
import type { Settings } from '../settings/settings.js';

export interface RetryPolicy {
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const retryPolicy = (settings: Settings): RetryPolicy => ({
  timeoutMs: settings.requestTimeoutMs,
  ...settings.retry,
});

/** Exponential backoff with jitter, so that many senders that failed together do not retry together. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Transport failures reach the caller as `Error`s (timeout, refused or closed connection); an error
 * the peer's handler threw reaches it as a plain `{ status, message }` object. Only the first kind
 * is worth sending again.
 */
export const isTransportFailure = (error: unknown): boolean => error instanceof Error;

/**
 * `send()` with what Nest's transports leave out: a timeout (a TCP reply that never comes would
 * wait forever) and retries with backoff (a peer that is not up yet, or a connection that closed).
 * Every receiver is idempotent, so sending a request again is safe.
 */
export function sendWithRetry<R>(
  proxy: ClientProxy,
  pattern: string,
  data: unknown,
  policy: RetryPolicy,
): Observable<R> {
  return defer(() => proxy.send<R>(pattern, data)).pipe(
    timeout(policy.timeoutMs),
    retry({
      count: policy.attempts,
      delay: (error: unknown, attempt: number) => {
        if (!isTransportFailure(error)) throw error;
        return timer(backoffMs(attempt, policy));
      },
    }),
  );
}
