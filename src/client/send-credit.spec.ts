import { describe, expect, it } from '@jest/globals';
import { SendCredit } from './send-credit.js';

/** Lets every promise callback that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Takes `count` sends in a row; answers the names of those let go, in the order they were. */
function takeMany(sut: SendCredit, count: number): { left: number[]; immediate: number[] } {
  const left: number[] = [];
  const immediate: number[] = [];
  for (let n = 1; n <= count; n++) {
    const wait = sut.take();
    if (wait === undefined) {
      immediate.push(n);
      left.push(n);
    } else {
      void wait.then(() => left.push(n));
    }
  }
  return { left, immediate };
}

describe(SendCredit.name, () => {
  it('lets nothing leave before the saver has opened the run (the first slide)', async () => {
    const sut = new SendCredit(3);
    const { left, immediate } = takeMany(sut, 2);
    await settle();
    expect(immediate).toEqual([]);
    expect(left).toEqual([]);
    expect(sut.waiters).toBe(2);
  });

  it('lets `window` leave at once after the first slide, and no more', () => {
    const sut = new SendCredit(3);
    sut.slide(0);
    const { immediate } = takeMany(sut, 5);
    expect(immediate).toEqual([1, 2, 3]);
    expect(sut.waiters).toBe(2);
  });

  it('counts from what is already written when the run is opened late', () => {
    const sut = new SendCredit(3);
    sut.slide(10);
    expect(takeMany(sut, 14).immediate).toHaveLength(13);
  });

  it('releases waiters in the order they came as `written` grows', async () => {
    const sut = new SendCredit(2);
    const { left } = takeMany(sut, 6);
    sut.slide(0);
    await settle();
    expect(left).toEqual([1, 2]);
    sut.slide(1);
    await settle();
    expect(left).toEqual([1, 2, 3]);
    sut.slide(4);
    await settle();
    expect(left).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sut.waiters).toBe(0);
  });

  it('never shrinks the limit when an older, smaller `written` arrives', () => {
    const sut = new SendCredit(2);
    sut.slide(5); // limit 7
    sut.slide(1); // a late status: still 7
    expect(takeMany(sut, 8).immediate).toHaveLength(7);
  });

  it('lets every waiter go, and every later send, on `openAll`', async () => {
    const sut = new SendCredit(1);
    const { left } = takeMany(sut, 4);
    sut.openAll();
    await settle();
    expect(left).toEqual([1, 2, 3, 4]);
    expect(sut.waiters).toBe(0);
    expect(sut.take()).toBeUndefined();
  });
});
