import { describe, expect, it } from '@jest/globals';
import { SendCredit } from './send-credit.js';
import { UnwrittenBudget } from './unwritten-budget.js';

/** Lets every promise callback that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Asks for `count` sends of one run; `left` lists, in order, those let go so far. */
function sends(credit: SendCredit, count: number): { left: number[] } {
  const left: number[] = [];
  for (let n = 1; n <= count; n++) {
    const wait = credit.take();
    if (wait === undefined) left.push(n);
    else void wait.then(() => left.push(n));
  }
  return { left };
}

/** A budget of `capacity` and two runs sharing it (windows of 100), each opened at the saver. */
function twoOpenRuns(capacity: number) {
  const budget = new UnwrittenBudget(capacity);
  const a = new SendCredit(100, budget);
  const b = new SendCredit(100, budget);
  a.slide(0);
  b.slide(0);
  return { budget, a, b };
}

describe(UnwrittenBudget.name, () => {
  it('holds every run together to its capacity, though each run alone has room', async () => {
    const { budget, a, b } = twoOpenRuns(5);
    const sentA = sends(a, 4);
    const sentB = sends(b, 4);
    await settle();
    expect(sentA.left).toEqual([1, 2, 3, 4]);
    expect(sentB.left).toEqual([1]);
    expect(budget.inUse).toBe(5);
  });

  it('gives a slot back per line written, to the runs waiting in turn', async () => {
    const { budget, a, b } = twoOpenRuns(2);
    const sentA = sends(a, 5);
    const sentB = sends(b, 3);
    await settle();
    expect([sentA.left, sentB.left]).toEqual([[1, 2], []]);
    a.slide(2); // two of a's lines are written: one slot each, a first only if it asked first
    await settle();
    expect([sentA.left, sentB.left]).toEqual([[1, 2, 3], [1]]);
    expect(budget.inUse).toBe(2);
    b.slide(1);
    await settle();
    expect(sentA.left).toEqual([1, 2, 3, 4]);
    expect(budget.inUse).toBe(2);
  });

  it("keeps each run's own window too", () => {
    const budget = new UnwrittenBudget(10);
    const a = new SendCredit(3, budget);
    a.slide(0);
    const sentA = sends(a, 5);
    expect(sentA.left).toEqual([1, 2, 3]);
    expect(budget.inUse).toBe(3);
    expect(budget.waiters).toBe(0); // a waits for its file, not for the budget
  });

  it('takes back every slot of a run that stopped, and serves the others with them', async () => {
    const { budget, a, b } = twoOpenRuns(3);
    sends(a, 3);
    const sentB = sends(b, 2);
    a.slide(1); // one written: b gets that slot
    await settle();
    expect(sentB.left).toEqual([1]);
    a.openAll();
    await settle();
    expect(sentB.left).toEqual([1, 2]);
    expect(budget.inUse).toBe(2); // b's two; a holds nothing
    a.slide(3); // a late status of the stopped run gives nothing back twice
    expect(budget.inUse).toBe(2);
  });

  it('lets a stopped run’s waiters go without slots', async () => {
    const { budget, a, b } = twoOpenRuns(1);
    sends(a, 1);
    const sentB = sends(b, 3);
    b.openAll();
    await settle();
    expect(sentB.left).toEqual([1, 2, 3]);
    expect(budget.inUse).toBe(1);
    expect(b.take()).toBeUndefined();
    expect(budget.inUse).toBe(1);
  });

  it('never counts a slot for a run that no longer needs the one it is offered', () => {
    const { budget, a, b } = twoOpenRuns(1);
    sends(a, 1);
    sends(b, 1); // b waits for the budget
    b.openAll(); // ... then stops
    a.slide(1);
    expect(budget.inUse).toBe(0);
  });
});
