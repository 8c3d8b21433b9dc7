import type { ClientProxy } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../settings/settings.js';
import { isHandlerError, isRetryableRefusal, isUnreachableUpstream } from './refusal.js';

export interface RetryPolicy {
  /** One attempt waits this long for its answer. */
  readonly timeoutMs: number;
  /**
   * Transport failures are retried until this long after the first attempt (or the peer's latest
   * refusal: it was alive then), then the last one is thrown.
   */
  readonly deadlineMs: number;
  /** Retries after a transport failure, at most. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /**
   * A peer that refuses for now (at a bound) is asked again for this long (0: the refusal goes
   * straight back to the caller). It is alive and its refusal is the back-pressure, so a sender
   * whose run may wait behind long delays (the client) waits as long as it takes.
   */
  readonly refusedPatienceMs: number;
}

/**
 * For a sender nobody waits on (the processor's results): transport failures and refusals are
 * both retried for DELIVERY_TIMEOUT_MS, so a held result never holds its slot for longer.
 */
export const retryPolicy = (settings: Settings): RetryPolicy => ({
  timeoutMs: settings.requestTimeoutMs,
  deadlineMs: settings.deliveryTimeoutMs,
  ...settings.retry,
  refusedPatienceMs: settings.deliveryTimeoutMs,
});

/**
 * For the client's tasks: a refusal (the processor is full, its tasks waiting out their delays)
 * is waited out for as long as it takes; the run's own bounds end a run that stops moving.
 */
export const sendPolicy = (settings: Settings): RetryPolicy => ({
  ...retryPolicy(settings),
  refusedPatienceMs: Number.POSITIVE_INFINITY,
});

/**
 * For a hop whose caller is waiting with its own REQUEST_TIMEOUT_MS (server → processor): all its
 * attempts fit in half of that, so the caller hears the real cause (the peer, its address, the
 * error) rather than its own timeout; a refusal goes straight back to the caller, who waits.
 */
export const relayPolicy = (settings: Settings): RetryPolicy => ({
  ...retryPolicy(settings),
  timeoutMs: Math.floor(settings.requestTimeoutMs / 2),
  deadlineMs: Math.floor(settings.requestTimeoutMs / 2),
  refusedPatienceMs: 0,
});

/** One attempt and no retry: for a caller that polls anyway (the client's status queries). */
export const singleAttempt = (policy: RetryPolicy): RetryPolicy => ({
  ...policy,
  attempts: 0,
  refusedPatienceMs: 0,
});

/** Exponential backoff with jitter, so that many senders that failed together do not retry together. */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (Math.min(attempt, 30) - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Anything but an error a handler threw on purpose (a timeout, a refused or closed connection, a
 * broker that is away, each transport in its own shape) is a transport failure, worth sending
 * again; so is a relay's word that the peer behind it is unreachable.
 */
export const isTransportFailure = (error: unknown): boolean =>
  !isHandlerError(error) || isUnreachableUpstream(error);

export class RequestTimeoutError extends Error {
  constructor(pattern: string, ms: number) {
    super(`no answer to ${pattern} within ${ms} ms`);
    this.name = RequestTimeoutError.name;
  }
}

export class RequestAbortedError extends Error {
  constructor(pattern: string) {
    super(`${pattern}: the sender stopped`);
    this.name = RequestAbortedError.name;
  }
}

/**
 * `send()` with what Nest's transports leave out: a timeout (a TCP reply that never comes would
 * wait forever), retries with backoff within a deadline (a peer that is not up yet, a connection
 * that closed), and waiting while a peer refuses for now. Every receiver is idempotent, so sending
 * a request again is safe. Written with one promise and one timer per attempt rather than an
 * operator chain: it runs for every message of every hop.
 */
export function requestWithRetry<R>(
  proxy: ClientProxy,
  pattern: string,
  data: unknown,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<R> {
  return withRetry(
    (timeoutMs) => requestOnce<R>(proxy, pattern, data, timeoutMs),
    pattern,
    policy,
    signal,
  );
}

/**
 * Runs `attempt` (one request, answered or failed within `timeoutMs`) until it is answered, within
 * `policy`: transport failures are tried again with backoff until the deadline, refusals for now
 * for as long as the policy's patience, anything else is thrown at once. `label` names the
 * request in errors.
 */
export async function withRetry<R>(
  attempt: (timeoutMs: number) => Promise<R>,
  label: string,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<R> {
  const startedAt = Date.now();
  let deadline = startedAt + policy.deadlineMs;
  let failures = 0;
  let refusals = 0;
  for (;;) {
    if (signal?.aborted) throw new RequestAbortedError(label);
    const timeoutMs = Math.max(1, Math.min(policy.timeoutMs, deadline - Date.now()));
    try {
      return await attempt(timeoutMs);
    } catch (error) {
      let pauseMs: number;
      if (isRetryableRefusal(error)) {
        // The peer answered: a wait past the deadline must not leave the next attempt 1 ms to answer.
        deadline = Date.now() + policy.deadlineMs;
        pauseMs = backoffMs(++refusals, policy);
        if (Date.now() + pauseMs - startedAt >= policy.refusedPatienceMs) throw error;
      } else if (isTransportFailure(error)) {
        failures++;
        pauseMs = backoffMs(failures, policy);
        if (failures > policy.attempts || Date.now() + pauseMs >= deadline) throw error;
      } else {
        throw error;
      }
      await sleep(pauseMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** The first answer is the answer: a handler may go on working (and streaming) after it. */
export function requestOnce<R>(
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
      // Passed on as it is (an Error, a string or a plain object): the caller classifies it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      error: (error: unknown) => settle(() => reject(error)),
      complete: () => settle(() => reject(new Error(`${pattern}: closed without an answer`))),
    });
    // The answer may have come synchronously, before `subscription` was set.
    if (settled) subscription.unsubscribe();
  });
}
