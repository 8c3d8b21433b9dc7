import type { ClientProxy } from '@nestjs/microservices';
import { defer, retry, take, timeout, timer, type Observable } from 'rxjs';
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
 * An error the peer's handler threw (a refused message) reaches the caller as `{ status: 'error',
 * message }`; anything else (a timeout, a refused or closed connection, a broker that is away,
 * each transport in its own shape) is a transport failure, worth sending again.
 */
export const isTransportFailure = (error: unknown): boolean =>
  !(
    typeof error === 'object' &&
    error !== null &&
    (error as { status?: unknown }).status === 'error'
  );

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
    // The first answer is the answer: a handler may go on working (and stream) after it.
    take(1),
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
