import type { ClientProxy } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
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

export class RequestTimeoutError extends Error {
  constructor(pattern: string, ms: number) {
    super(`no answer to ${pattern} within ${ms} ms`);
    this.name = RequestTimeoutError.name;
  }
}

/**
 * `send()` with what Nest's transports leave out: a timeout (a TCP reply that never comes would
 * wait forever) and retries with backoff (a peer that is not up yet, a connection that closed).
 * Every receiver is idempotent, so sending a request again is safe. Written with one promise and
 * one timer per attempt rather than an operator chain: it runs for every message of every hop.
 */
export async function requestWithRetry<R>(
  proxy: ClientProxy,
  pattern: string,
  data: unknown,
  policy: RetryPolicy,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestOnce<R>(proxy, pattern, data, policy.timeoutMs);
    } catch (error) {
      if (!isTransportFailure(error) || attempt > policy.attempts) throw error;
      await sleep(backoffMs(attempt, policy));
    }
  }
}

/** The first answer is the answer: a handler may go on working (and streaming) after it. */
function requestOnce<R>(
  proxy: ClientProxy,
  pattern: string,
  data: unknown,
  timeoutMs: number,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
      finish();
    };
    const timer = setTimeout(
      () => settle(() => reject(new RequestTimeoutError(pattern, timeoutMs))),
      timeoutMs,
    );
    // eslint-disable-next-line prefer-const -- settle() reads it before the assignment completes
    let subscription: { unsubscribe(): void } | undefined;
    subscription = proxy.send<R>(pattern, data).subscribe({
      next: (answer) => settle(() => resolve(answer)),
      // Passed on as it is (an Error, a string or a plain object): `isTransportFailure` reads it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      error: (error: unknown) => settle(() => reject(error)),
      complete: () => settle(() => reject(new Error(`${pattern}: closed without an answer`))),
    });
    // The answer may have come synchronously, before `subscription` was set.
    if (settled) subscription.unsubscribe();
  });
}
