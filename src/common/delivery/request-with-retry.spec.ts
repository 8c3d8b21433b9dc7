import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { NEVER, Observable, of, throwError, timer, mergeMap } from 'rxjs';
import { loadSettings } from '../settings/environment.js';

/*
 * Jest's fake timers replace the global `setTimeout`, not the one `node:timers/promises` exports
 * (an ESM import is bound to Node's own module, outside the test's global). The backoff sleep is
 * therefore replaced, for this file only, by the same sleep on the global timer: the clock then
 * drives the per-attempt timeouts and the backoff alike. It keeps `sleep`'s abort behaviour.
 */
jest.unstable_mockModule('node:timers/promises', () => ({
  setTimeout: (ms: number, value?: unknown, options?: { signal?: AbortSignal }) =>
    new Promise((resolve, reject) => {
      const signal = options?.signal;
      const aborted = () => reject(new DOMException('The operation was aborted', 'AbortError'));
      if (signal?.aborted) return aborted();
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        aborted();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
}));

const {
  backoffMs,
  requestOnce,
  relayPolicy,
  requestWithRetry,
  retryPolicy,
  sendPolicy,
  singleAttempt,
  RequestAbortedError,
  RequestTimeoutError,
} = await import('./request-with-retry.js');
type RetryPolicy = import('./request-with-retry.js').RetryPolicy;

const ACK = { asyncAnswer: 'Ok' };
const PATTERN = 'server.task';

/** A `ClientProxy` whose `send()` answers what `attempt(n)` returns for the n-th call (1-based). */
function fakeProxy(attempt: (n: number) => Observable<unknown>) {
  const sent: unknown[] = [];
  let unsubscribed = 0;
  const proxy = {
    send: (_pattern: string, data: unknown) => {
      sent.push(data);
      const answer = attempt(sent.length);
      return new Observable<unknown>((subscriber) => {
        const inner = answer.subscribe(subscriber);
        return () => {
          unsubscribed++;
          inner.unsubscribe();
        };
      });
    },
  } as unknown as ClientProxy;
  return {
    proxy,
    get attempts() {
      return sent.length;
    },
    get unsubscribed() {
      return unsubscribed;
    },
  };
}

/** Fails the way a peer on the network does: after a short while, not at once. */
const later = <T>(ms: number, outcome: () => Observable<T>): Observable<T> =>
  timer(ms).pipe(mergeMap(outcome));

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  timeoutMs: 1000,
  deadlineMs: 60_000,
  attempts: 3,
  baseMs: 100,
  maxMs: 100,
  refusedPatienceMs: Number.POSITIVE_INFINITY,
  ...overrides,
});

/**
 * Starts a request and records how it ends, and how long after it started, so the test can drive
 * the clock meanwhile.
 */
function start<R>(promise: Promise<R>) {
  const startedAt = Date.now();
  const outcome: { value?: R; error?: unknown; settled: boolean; afterMs?: number } = {
    settled: false,
  };
  const settled = () => ({ settled: true, afterMs: Date.now() - startedAt });
  promise.then(
    (value) => Object.assign(outcome, { value, ...settled() }),
    (error: unknown) => Object.assign(outcome, { error, ...settled() }),
  );
  return outcome;
}

describe(requestWithRetry.name, () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('answers the first reply and stops listening to the rest', async () => {
    const fake = fakeProxy(
      () =>
        new Observable((subscriber) => {
          subscriber.next('first');
          subscriber.next('second');
        }),
    );
    await expect(requestWithRetry(fake.proxy, PATTERN, 1, policy())).resolves.toBe('first');
    expect(fake.attempts).toBe(1);
    expect(fake.unsubscribed).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers a reply that comes later, before the attempt times out', async () => {
    const fake = fakeProxy(() => later(999, () => of(ACK)));
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(999);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
    expect(fake.attempts).toBe(1);
  });

  it('retries an attempt that got no answer within timeoutMs, and drops its subscription', async () => {
    const fake = fakeProxy((n) => (n === 1 ? NEVER : of(ACK)));
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(999);
    expect(fake.attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1 + 100); // the timeout, then the longest backoff
    expect(outcome).toMatchObject({ settled: true, value: ACK });
    expect(fake.attempts).toBe(2);
    expect(fake.unsubscribed).toBe(2);
  });

  it('retries transport failures `attempts` times, then throws the last one', async () => {
    const fake = fakeProxy((n) => throwError(() => new Error(`connect ECONNREFUSED #${n}`)));
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy({ attempts: 3 })));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(outcome.settled).toBe(true);
    expect(fake.attempts).toBe(4);
    expect(outcome.error).toEqual(new Error('connect ECONNREFUSED #4'));
  });

  it('gives up within deadlineMs with the last transport error, before a caller waiting as long times out', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0); // every backoff 50 ms: attempts at 0, 60, 120…
    const fake = fakeProxy((n) => later(10, () => throwError(() => new Error(`closed #${n}`))));
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ attempts: 1_000, deadlineMs: 1000 })),
    );
    await jest.advanceTimersByTimeAsync(999);
    expect(outcome.settled).toBe(true);
    expect(outcome.afterMs).toBeLessThan(1000);
    // The 17th fails at 970 ms; one more backoff would reach the deadline.
    expect(outcome.afterMs).toBe(970);
    expect(fake.attempts).toBe(17);
    expect(outcome.error).toEqual(new Error('closed #17'));
  });

  it('cuts the timeout of the last attempt at the deadline', async () => {
    const fake = fakeProxy(() => NEVER);
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ timeoutMs: 5000, deadlineMs: 800 })),
    );
    await jest.advanceTimersByTimeAsync(800);
    expect(outcome.settled).toBe(true);
    expect(outcome.afterMs).toBe(800);
    expect(outcome.error).toBeInstanceOf(RequestTimeoutError);
    expect((outcome.error as Error).message).toBe(`no answer to ${PATTERN} within 800 ms`);
  });

  it('does not retry an error the handler threw on purpose', async () => {
    const handlerError = { status: 'error', message: 'seq 0 is out of range' };
    const fake = fakeProxy(() => throwError(() => handlerError));
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, error: handlerError });
    expect(fake.attempts).toBe(1);
  });

  it('asks again without limit while the peer refuses for now and the policy waits', async () => {
    const refusal = { status: 'error', message: 'reorder buffer full', retryable: true };
    const fake = fakeProxy((n) => (n <= 50 ? throwError(() => refusal) : of(ACK)));
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ attempts: 2, deadlineMs: 1000 })),
    );
    await jest.advanceTimersByTimeAsync(50 * 100);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
    expect(fake.attempts).toBe(51);
  });

  it('keeps waiting while refused past deadlineMs when the refusals take a while to come', async () => {
    const refusal = { status: 'error', message: 'queue full', retryable: true };
    const fake = fakeProxy((n) => later(5, () => (n <= 30 ? throwError(() => refusal) : of(ACK))));
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ attempts: 2, deadlineMs: 1000 })),
    );
    await jest.advanceTimersByTimeAsync(30 * 105 + 5);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
    expect(fake.attempts).toBe(31);
  });

  it('passes the refusal back once refusals have lasted refusedPatienceMs', async () => {
    const refusal = { status: 'error', message: 'queue full', retryable: true };
    const fake = fakeProxy(() => later(5, () => throwError(() => refusal)));
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ refusedPatienceMs: 500 })),
    );
    await jest.advanceTimersByTimeAsync(2000);
    expect(outcome).toMatchObject({ settled: true, error: refusal });
    // Each round is 5 ms to answer plus a 50–100 ms pause: a handful of rounds fit in 500 ms.
    expect(fake.attempts).toBeGreaterThan(3);
    expect(fake.attempts).toBeLessThan(12);
  });

  it('passes a refusal back at once when the policy does not wait', async () => {
    const refusal = { status: 'error', message: 'queue full', retryable: true };
    const fake = fakeProxy(() => throwError(() => refusal));
    const outcome = start(
      requestWithRetry(fake.proxy, PATTERN, 1, policy({ refusedPatienceMs: 0 })),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, error: refusal });
    expect(fake.attempts).toBe(1);
  });

  it("retries a relay's word that the peer behind it is unreachable, as a transport failure", async () => {
    const unreachable = (n: number) => ({
      status: 'error',
      message: `processor at 127.0.0.1:5002: connect ECONNREFUSED #${n}`,
      unreachable: true,
    });
    const fake = fakeProxy((n) => throwError(() => unreachable(n)));
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy({ attempts: 2 })));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(fake.attempts).toBe(3);
    expect(outcome.error).toEqual(unreachable(3));
  });

  it('ends with RequestAbortedError, sending nothing, when the signal was aborted before', async () => {
    const fake = fakeProxy(() => of(ACK));
    const stopper = new AbortController();
    stopper.abort();
    await expect(
      requestWithRetry(fake.proxy, PATTERN, 1, policy(), stopper.signal),
    ).rejects.toBeInstanceOf(RequestAbortedError);
    expect(fake.attempts).toBe(0);
  });

  it('ends with RequestAbortedError at once when aborted during a backoff', async () => {
    const fake = fakeProxy(() => throwError(() => new Error('connect ECONNREFUSED')));
    const stopper = new AbortController();
    const outcome = start(
      requestWithRetry(
        fake.proxy,
        PATTERN,
        1,
        policy({ baseMs: 10_000, maxMs: 10_000 }),
        stopper.signal,
      ),
    );
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome.settled).toBe(false);
    stopper.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome.settled).toBe(true);
    expect(outcome.error).toBeInstanceOf(RequestAbortedError);
    expect(fake.attempts).toBe(1);
  });

  it('ends a refused wait with RequestAbortedError when aborted', async () => {
    const refusal = { status: 'error', message: 'queue full', retryable: true };
    const fake = fakeProxy(() => throwError(() => refusal));
    const stopper = new AbortController();
    const outcome = start(requestWithRetry(fake.proxy, PATTERN, 1, policy(), stopper.signal));
    await jest.advanceTimersByTimeAsync(500);
    stopper.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome.error).toBeInstanceOf(RequestAbortedError);
  });
});

/**
 * A client that sends as Nest's `ClientProxy` does (its `send()` is the base one), so requests
 * take the direct path: `connect()`, `createPacket()`, `publish()`; each `publish` is recorded
 * with its reply callback for the test to answer.
 */
class StubClient extends ClientProxy {
  readonly published: { packet: ReadPacket; reply: (packet: WritePacket) => void }[] = [];
  forgotten = 0;
  connecting: Promise<void> = Promise.resolve();
  failPublish?: unknown;

  connect(): Promise<void> {
    return this.connecting;
  }

  close(): void {
    // Nothing to close.
  }

  unwrap<T>(): T {
    return undefined as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.published.push({ packet, reply: callback });
    if (this.failPublish !== undefined) callback({ err: this.failPublish });
    return () => {
      this.forgotten++;
    };
  }

  protected dispatchEvent<T>(): Promise<T> {
    return Promise.reject(new Error('no events'));
  }
}

describe('a request on a client that sends as ClientProxy does', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('publishes once connected, answers the first reply and forgets the request', async () => {
    const client = new StubClient();
    const outcome = start(requestWithRetry(client, PATTERN, { n: 1 }, policy()));
    await jest.advanceTimersByTimeAsync(0);
    expect(client.published).toHaveLength(1);
    expect(client.published[0].packet).toEqual({ pattern: PATTERN, data: { n: 1 } });
    client.published[0].reply({ response: ACK });
    client.published[0].reply({ response: 'second', isDisposed: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
    expect(client.forgotten).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers a reply that comes with the end of the stream', async () => {
    const client = new StubClient();
    const outcome = start(requestOnce(client, PATTERN, 1, 1000));
    await jest.advanceTimersByTimeAsync(0);
    client.published[0].reply({ response: ACK, isDisposed: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
  });

  it('fails a stream that ends without an answer', async () => {
    const client = new StubClient();
    const outcome = start(requestOnce(client, PATTERN, 1, 1000));
    await jest.advanceTimersByTimeAsync(0);
    client.published[0].reply({ isDisposed: true });
    await jest.advanceTimersByTimeAsync(0);
    expect((outcome.error as Error).message).toBe(`${PATTERN}: closed without an answer`);
  });

  it("passes a handler's error on as it came, without retrying it", async () => {
    const client = new StubClient();
    const refusal = { status: 'error', message: 'bad task' };
    const outcome = start(requestWithRetry(client, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(0);
    client.published[0].reply({ err: refusal, isDisposed: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome.error).toBe(refusal);
    expect(client.published).toHaveLength(1);
  });

  it('retries a failure the client reports while publishing, and forgets the failed request', async () => {
    const client = new StubClient();
    client.failPublish = new Error('write EPIPE');
    const outcome = start(requestWithRetry(client, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(0);
    expect(client.published).toHaveLength(1);
    expect(client.forgotten).toBe(1);
    client.failPublish = undefined;
    await jest.advanceTimersByTimeAsync(100);
    expect(client.published).toHaveLength(2);
    client.published[1].reply({ response: ACK });
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
  });

  it('times an attempt out, forgets it, and sends it again', async () => {
    const client = new StubClient();
    const outcome = start(requestWithRetry(client, PATTERN, 1, policy()));
    await jest.advanceTimersByTimeAsync(1000);
    expect(client.forgotten).toBe(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(client.published).toHaveLength(2);
    client.published[0].reply({ response: 'late' });
    client.published[1].reply({ response: ACK });
    await jest.advanceTimersByTimeAsync(0);
    expect(outcome).toMatchObject({ settled: true, value: ACK });
  });

  it('publishes nothing for an attempt that timed out while connecting', async () => {
    const client = new StubClient();
    let connected!: () => void;
    client.connecting = new Promise((resolve) => (connected = resolve));
    const outcome = start(requestOnce(client, PATTERN, 1, 1000));
    await jest.advanceTimersByTimeAsync(1000);
    expect(outcome.error).toBeInstanceOf(RequestTimeoutError);
    connected();
    await jest.advanceTimersByTimeAsync(0);
    expect(client.published).toHaveLength(0);
  });

  it('fails an attempt whose connection failed, as a transport failure that is retried', async () => {
    const client = new StubClient();
    client.connecting = Promise.reject(new Error('connect ECONNREFUSED'));
    const outcome = start(requestWithRetry(client, PATTERN, 1, policy({ attempts: 1 })));
    await jest.advanceTimersByTimeAsync(1000);
    expect(outcome.error).toEqual(new Error('connect ECONNREFUSED'));
    expect(client.published).toHaveLength(0);
  });
});

describe(backoffMs.name, () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    [1, 100],
    [2, 200],
    [4, 800],
    [5, 1000],
    [1_000, 1000],
  ])('stays within [ceiling/2, ceiling] for attempt %i (ceiling %i)', (attempt, ceiling) => {
    const limits = { baseMs: 100, maxMs: 1000 };
    const random = jest.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect(backoffMs(attempt, limits)).toBe(ceiling / 2);
    random.mockReturnValue(0.999_999);
    expect(backoffMs(attempt, limits)).toBeLessThanOrEqual(ceiling);
    expect(backoffMs(attempt, limits)).toBeGreaterThan(ceiling * 0.99);
  });

  it('spreads retries over the range rather than picking one value', () => {
    const drawn = new Set(
      Array.from({ length: 50 }, () => backoffMs(3, { baseMs: 100, maxMs: 1000 })),
    );
    expect(drawn.size).toBeGreaterThan(1);
    for (const ms of drawn) {
      expect(ms).toBeGreaterThanOrEqual(200);
      expect(ms).toBeLessThanOrEqual(400);
    }
  });
});

describe('retry policies', () => {
  const settings = loadSettings({
    REQUEST_TIMEOUT_MS: '4000',
    DELIVERY_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'error',
  });

  it('lets a relay spend at most half of its caller’s timeout, and pass refusals back', () => {
    expect(relayPolicy(settings)).toMatchObject({
      timeoutMs: 2000,
      deadlineMs: 2000,
      refusedPatienceMs: 0,
    });
  });

  it('lets the processor wait out refusals for DELIVERY_TIMEOUT_MS, and the client for as long as it takes', () => {
    expect(retryPolicy(settings).refusedPatienceMs).toBe(30_000);
    expect(sendPolicy(settings).refusedPatienceMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('makes a single attempt retry nothing', () => {
    expect(singleAttempt(retryPolicy(settings))).toMatchObject({
      attempts: 0,
      refusedPatienceMs: 0,
    });
  });
});
