import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DueQueue } from './due-queue.js';

/** Lets every promise callback that is ready run. */
const flush = async () => {
  for (let n = 0; n < 5; n++) await Promise.resolve();
};

describe(DueQueue.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('wakes each waiter at its own due time, in due order, whatever order they came in', async () => {
    const sut = new DueQueue();
    const woken: number[] = [];
    const delays = [50, 10, 30, 10, 0, 70, 20, 60, 40, 5];
    delays.forEach((delay, at) => void sut.wait(delay).then(() => woken.push(at)));
    for (let ms = 0; ms <= 70; ms++) {
      jest.advanceTimersByTime(ms === 0 ? 0 : 1);
      await flush();
      const due = delays.flatMap((delay, at) => (delay <= ms ? [at] : []));
      expect([...woken].sort((a, b) => a - b)).toEqual(due);
    }
    expect(woken.map((at) => delays[at])).toEqual([...delays].sort((a, b) => a - b));
    expect(sut.size).toBe(0);
  });

  it('keeps one timer for any number of waiters', () => {
    const sut = new DueQueue();
    for (let n = 0; n < 1000; n++) void sut.wait(1 + (n % 600));
    expect(jest.getTimerCount()).toBe(1);
    expect(sut.size).toBe(1000);
  });

  it('moves its timer earlier when an earlier waiter comes', async () => {
    const sut = new DueQueue();
    let late = false;
    let early = false;
    void sut.wait(100).then(() => (late = true));
    void sut.wait(10).then(() => (early = true));
    jest.advanceTimersByTime(10);
    await flush();
    expect([early, late]).toEqual([true, false]);
    jest.advanceTimersByTime(90);
    await flush();
    expect(late).toBe(true);
  });

  it('wakes everyone at once on wakeAll, and leaves no timer', async () => {
    const sut = new DueQueue();
    let woken = 0;
    for (let n = 0; n < 10; n++) void sut.wait(60_000).then(() => woken++);
    sut.wakeAll();
    await flush();
    expect(woken).toBe(10);
    expect(jest.getTimerCount()).toBe(0);
  });
});
