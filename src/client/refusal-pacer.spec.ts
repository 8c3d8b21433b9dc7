import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RefusalPacer } from './refusal-pacer.js';

describe(RefusalPacer.name, () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Asks the pacer to answer `count` refusals, each pushing its place into `into` when answered. */
  const answers = (pacer: RefusalPacer, count: number, into: number[] = []): number[] => {
    for (let at = 0; at < count; at++) pacer.pace(() => into.push(at));
    return into;
  };

  it('answers the first ones of a tick at once and holds the rest until the tick ends', () => {
    const pacer = new RefusalPacer(3, 100, 1000);
    const answered = answers(pacer, 5);
    expect(answered).toEqual([0, 1, 2]);
    expect(pacer.waiting).toBe(2);
    jest.advanceTimersByTime(999);
    expect(answered).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(answered).toEqual([0, 1, 2, 3, 4]);
    expect(pacer.waiting).toBe(0);
  });

  it('gives each tick its own prompt answers', () => {
    const pacer = new RefusalPacer(2, 100, 1000);
    const answered = answers(pacer, 2);
    jest.advanceTimersByTime(1000);
    answers(pacer, 3, answered);
    expect(answered).toEqual([0, 1, 0, 1]);
  });

  it('answers at once beyond the most it may hold', () => {
    const pacer = new RefusalPacer(1, 2, 1000);
    const answered = answers(pacer, 5);
    expect(answered).toEqual([0, 3, 4]);
    expect(pacer.waiting).toBe(2);
  });

  it('answers every held refusal when flushed', () => {
    const pacer = new RefusalPacer(0, 10, 1000);
    const answered = answers(pacer, 4);
    expect(answered).toEqual([]);
    pacer.flush();
    expect(answered).toEqual([0, 1, 2, 3]);
  });
});
