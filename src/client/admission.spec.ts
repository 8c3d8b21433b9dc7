import { HttpStatus } from '@nestjs/common';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Admission, TooManyRunsException, type AdmissionLimits } from './admission.js';

interface FakeRun {
  readonly name: string;
  readonly total: number;
}

const run = (name: string, total: number): FakeRun => ({ name, total });

/** As `RunsService.start` does: room first (or a refusal), then the run once journaled. */
const enter = (admission: Admission<FakeRun>, candidate: FakeRun): void => {
  admission.reserve(candidate);
  admission.offer(candidate, 'reserved');
};

const limits: AdmissionLimits = { maxActiveRuns: 2, maxActiveTasks: 100, maxQueuedRuns: 2 };

describe(Admission.name, () => {
  let started: string[];
  let sut: Admission<FakeRun>;

  beforeEach(() => {
    started = [];
    sut = new Admission<FakeRun>(limits, (admitted) => started.push(admitted.name));
  });

  it('admits runs at once while they fit by count and by tasks', () => {
    enter(sut, run('a', 60));
    enter(sut, run('b', 40));
    expect(started).toEqual(['a', 'b']);
    expect(sut.active).toBe(2);
    expect(sut.queued).toBe(0);
  });

  it('queues a run that would exceed maxActiveRuns', () => {
    enter(sut, run('a', 1));
    enter(sut, run('b', 1));
    enter(sut, run('c', 1));
    expect(started).toEqual(['a', 'b']);
    expect(sut.queued).toBe(1);
  });

  it('queues a run that would exceed maxActiveTasks', () => {
    enter(sut, run('a', 60));
    enter(sut, run('b', 41));
    expect(started).toEqual(['a']);
    expect(sut.queued).toBe(1);
  });

  it('admits a run alone even when it is larger than maxActiveTasks', () => {
    enter(sut, run('huge', 1000));
    expect(started).toEqual(['huge']);
  });

  it('lets no small run overtake a big one that waits', () => {
    enter(sut, run('a', 60));
    enter(sut, run('big', 50));
    enter(sut, run('small', 1)); // would fit beside `a`, but `big` came first
    expect(started).toEqual(['a']);
    expect(sut.queued).toBe(2);
  });

  it('refuses a run once the queue is full, with 429, MAX_QUEUED_RUNS and a Retry-After', () => {
    enter(sut, run('a', 100));
    enter(sut, run('q1', 1));
    enter(sut, run('q2', 1));
    let refusal: unknown;
    try {
      enter(sut, run('q3', 1));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(TooManyRunsException);
    const exception = refusal as TooManyRunsException;
    expect(exception.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
    expect(exception.message).toContain('MAX_QUEUED_RUNS=2');
    expect(exception.getResponse()).toMatchObject({
      statusCode: 429,
      message: expect.stringContaining('MAX_QUEUED_RUNS') as unknown,
    });
    expect(exception.retryAfterSeconds).toBeGreaterThan(0);
    expect(sut.queued).toBe(2);
    expect(started).toEqual(['a']);
  });

  it('refuses at once when no run may queue at all', () => {
    const strict = new Admission<FakeRun>({ ...limits, maxQueuedRuns: 0 }, () => undefined);
    enter(strict, run('a', 100));
    expect(() => enter(strict, run('b', 1))).toThrow(TooManyRunsException);
  });

  it('admits the next runs that fit when an active run is released, in order', () => {
    const a = run('a', 60);
    enter(sut, a);
    enter(sut, run('big', 50));
    enter(sut, run('small', 1));
    sut.release(a);
    expect(started).toEqual(['a', 'big', 'small']);
    expect(sut.active).toBe(2);
    expect(sut.queued).toBe(0);
  });

  it('frees the tasks of a released run, not only its place', () => {
    const a = run('a', 90);
    const b = run('b', 10);
    enter(sut, a);
    enter(sut, b);
    enter(sut, run('c', 80));
    sut.release(b); // 90 + 80 still does not fit
    expect(started).toEqual(['a', 'b']);
    sut.release(a);
    expect(started).toEqual(['a', 'b', 'c']);
    enter(sut, run('d', 20)); // 80 + 20 fits once the released tasks are gone
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('withdraws a queued run, and admits whoever fits behind it', () => {
    enter(sut, run('a', 60));
    const big = run('big', 50);
    enter(sut, big);
    enter(sut, run('small', 1));
    expect(sut.withdraw(big)).toBe(true);
    expect(started).toEqual(['a', 'small']);
    expect(sut.queued).toBe(0);
  });

  it('answers false when withdrawing a run that is not queued', () => {
    const a = run('a', 1);
    enter(sut, a);
    expect(sut.withdraw(a)).toBe(false);
    expect(sut.withdraw(run('stranger', 1))).toBe(false);
    expect(sut.active).toBe(1);
  });

  it('drains the queue, answering the waiting runs in order and starting none', () => {
    enter(sut, run('a', 100));
    const q1 = run('q1', 1);
    const q2 = run('q2', 1);
    enter(sut, q1);
    enter(sut, q2);
    expect(sut.drain()).toEqual([q1, q2]);
    expect(sut.queued).toBe(0);
    expect(started).toEqual(['a']);
    expect(sut.drain()).toEqual([]);
  });

  it('counts reserved room as queued, so runs journaling at once cannot overfill the queue', () => {
    enter(sut, run('a', 100));
    const journaling = [run('r1', 1), run('r2', 1)];
    for (const one of journaling) sut.reserve(one);
    expect(sut.refusesEveryRun).toBe(true);
    expect(() => sut.reserve(run('r3', 1))).toThrow(TooManyRunsException);
    for (const one of journaling) sut.offer(one, 'reserved');
    expect(sut.queued).toBe(2);
  });

  it('gives reserved room back when the run will not be offered', () => {
    enter(sut, run('a', 100));
    sut.reserve(run('r1', 1));
    sut.reserve(run('r2', 1));
    sut.unreserve();
    expect(sut.refusesEveryRun).toBe(false);
    enter(sut, run('q', 1));
    expect(sut.queued).toBe(1);
  });

  it('refuses every run only when no run of any size could start or queue', () => {
    expect(sut.refusesEveryRun).toBe(false);
    enter(sut, run('a', 100));
    enter(sut, run('q1', 1));
    expect(sut.refusesEveryRun).toBe(false);
    enter(sut, run('q2', 1));
    expect(sut.refusesEveryRun).toBe(true);
    const strict = new Admission<FakeRun>({ ...limits, maxQueuedRuns: 0 }, () => undefined);
    enter(strict, run('a', 100));
    // A small run might still start beside `a` (two runs may be active), so it is not refused blind.
    expect(strict.refusesEveryRun).toBe(false);
    enter(strict, run('b', 0));
    expect(strict.refusesEveryRun).toBe(true);
  });

  it('takes back a run an earlier life had accepted even when the queue is full', () => {
    enter(sut, run('a', 100));
    enter(sut, run('q1', 1));
    enter(sut, run('q2', 1));
    sut.offer(run('old', 1), 'taken');
    expect(sut.queued).toBe(3);
  });
});
