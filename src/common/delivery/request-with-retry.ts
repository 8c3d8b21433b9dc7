import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
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
 * a request again is safe. It runs for every message of every hop, so the first attempt (almost
 * always the only one) costs one promise, one timer and one reply callback; the retry loop starts
 * only once it failed.
 */
export function requestWithRetry<R>(
  proxy: ClientProxy,
  pattern: string,
  data: unknown,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<R> {
  if (signal?.aborted) return Promise.reject(new RequestAbortedError(pattern));
  const startedAt = Date.now();
  const timeoutMs = attemptTimeoutMs(policy, startedAt + policy.deadlineMs);
  return new Promise<R>((resolve, reject) => {
    new Attempt(proxy, pattern, data, timeoutMs, (failed, outcome) => {
      if (!failed) return resolve(outcome as R);
      retrying<R>(
        (ms) => requestOnce<R>(proxy, pattern, data, ms),
        pattern,
        policy,
        signal,
        startedAt,
        outcome,
      ).then(resolve, reject);
    });
  });
}

/**
 * Runs `attempt` (one request, answered or failed within `timeoutMs`) until it is answered, within
 * `policy`: transport failures are tried again with backoff until the deadline, refusals for now
 * for as long as the policy's patience, anything else is thrown at once. `label` names the
 * request in errors.
 */
export function withRetry<R>(
  attempt: (timeoutMs: number) => Promise<R>,
  label: string,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<R> {
  return retrying(attempt, label, policy, signal, Date.now(), NO_FAILURE);
}

/** No attempt has failed yet (an attempt may fail with any value, `undefined` included). */
const NO_FAILURE: unique symbol = Symbol('no failure');

/** One attempt's time: the policy's, cut at the deadline. */
const attemptTimeoutMs = (policy: RetryPolicy, deadline: number): number =>
  Math.max(1, Math.min(policy.timeoutMs, deadline - Date.now()));

/** The retry loop of a request started at `startedAt`, after `failure` when an attempt was made. */
async function retrying<R>(
  attempt: (timeoutMs: number) => Promise<R>,
  label: string,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  startedAt: number,
  failure: unknown,
): Promise<R> {
  let deadline = startedAt + policy.deadlineMs;
  let failures = 0;
  let refusals = 0;
  let error = failure;
  for (;;) {
    if (error !== NO_FAILURE) {
      let pauseMs: number;
      // A boolean, not the type guard: `error` stays `unknown`, thrown as it came.
      const refused = isRetryableRefusal(error);
      if (refused) {
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
    if (signal?.aborted) throw new RequestAbortedError(label);
    try {
      return await attempt(attemptTimeoutMs(policy, deadline));
    } catch (caught) {
      error = caught;
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
    new Attempt(proxy, pattern, data, timeoutMs, (failed, outcome) =>
      // Passed on as it came (an Error, a string or a plain object): the caller classifies it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      failed ? reject(outcome) : resolve(outcome as R),
    );
  });
}

/**
 * The steps of `ClientProxy.send()` (Nest's own methods, protected in its typings), taken
 * without the Observable: `send()` builds a `defer`, a `mergeMap` and an inner Observable with
 * their subscribers for every request, and a request needs only its first answer.
 */
interface NestClientSteps {
  connect(): Promise<unknown>;
  createPacket(pattern: string, data: unknown): ReadPacket;
  publish(packet: ReadPacket, callback: (reply: WritePacket) => void): () => void;
  serializeError(err: unknown): unknown;
  serializeResponse(response: unknown): unknown;
}

/** Only a client that sends as `ClientProxy` does (every one but gRPC's) is spoken to directly. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
const proxySend = ClientProxy.prototype.send;

/**
 * One attempt: settles once, with the first answer, the first error, or a timeout, and then
 * forgets the request at the client (as unsubscribing from `send()` would).
 */
class Attempt {
  private settled = false;
  private stop?: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    proxy: ClientProxy,
    private readonly pattern: string,
    data: unknown,
    private readonly timeoutMs: number,
    private readonly outcome: (failed: boolean, outcome: unknown) => void,
  ) {
    this.timer = setTimeout(expire, timeoutMs, this);
    if (proxy.send === proxySend) this.publish(proxy as unknown as NestClientSteps, data);
    else this.subscribe(proxy, data);
  }

  expire(): void {
    this.settle(true, new RequestTimeoutError(this.pattern, this.timeoutMs));
  }

  private publish(client: NestClientSteps, data: unknown): void {
    let connected: Promise<unknown>;
    try {
      connected = client.connect();
    } catch (error) {
      return this.settle(true, error);
    }
    connected.then(
      () => {
        // Settled while connecting (timed out): nothing leaves, as after an unsubscribed send().
        if (this.settled) return;
        try {
          const stop = client.publish(client.createPacket(this.pattern, data), (reply) =>
            this.reply(client, reply),
          );
          // The answer may have come synchronously (a failed write), before `stop` was known.
          if (this.settled) stop();
          else this.stop = stop;
        } catch (error) {
          this.settle(true, error);
        }
      },
      (error: unknown) => this.settle(true, error),
    );
  }

  /** What `ClientProxy.createObserver` makes of a reply, down to its first value. */
  private reply(client: NestClientSteps, { err, response, isDisposed }: WritePacket): void {
    if (err) this.settle(true, client.serializeError(err));
    else if (isDisposed && response === undefined)
      this.settle(true, new Error(`${this.pattern}: closed without an answer`));
    else this.settle(false, client.serializeResponse(response));
  }

  private subscribe(proxy: ClientProxy, data: unknown): void {
    const subscription = proxy.send<unknown>(this.pattern, data).subscribe({
      next: (answer) => this.settle(false, answer),
      error: (error: unknown) => this.settle(true, error),
      complete: () => this.settle(true, new Error(`${this.pattern}: closed without an answer`)),
    });
    // The answer may have come synchronously, before `subscription` was known.
    if (this.settled) subscription.unsubscribe();
    else this.stop = () => subscription.unsubscribe();
  }

  private settle(failed: boolean, outcome: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.stop?.();
    this.outcome(failed, outcome);
  }
}

const expire = (attempt: Attempt): void => attempt.expire();
