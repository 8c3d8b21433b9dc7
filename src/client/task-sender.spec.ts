import { describe, expect, it } from '@jest/globals';
import { inWindow } from './task-sender.js';

/** A send whose calls stay in flight until the test settles them, one by one. */
function gate() {
  const called: number[] = [];
  const pending: (() => void)[] = [];
  let inFlight = 0;
  let most = 0;
  const send = (at: number): Promise<void> => {
    called.push(at);
    most = Math.max(most, ++inFlight);
    return new Promise((resolve) =>
      pending.push(() => {
        inFlight--;
        resolve();
      }),
    );
  };
  return {
    send,
    called,
    get most() {
      return most;
    },
    /** Settles the oldest call in flight, then lets the workers move on. */
    async settleOne(): Promise<void> {
      (pending.shift() as () => void)();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe(inWindow.name, () => {
  it('calls send in order, at most `window` at a time, the next only once a slot is free', async () => {
    const calls = gate();
    const done = inWindow(5, 2, new AbortController().signal, calls.send);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.called).toEqual([0, 1]);
    await calls.settleOne();
    expect(calls.called).toEqual([0, 1, 2]);
    for (let left = 4; left > 0; left--) await calls.settleOne();
    await done;
    expect(calls.called).toEqual([0, 1, 2, 3, 4]);
    expect(calls.most).toBe(2);
  });

  it('calls nothing more once the signal is aborted', async () => {
    const calls = gate();
    const stopper = new AbortController();
    const done = inWindow(10, 3, stopper.signal, calls.send);
    stopper.abort();
    for (let left = 3; left > 0; left--) await calls.settleOne();
    await done;
    expect(calls.called).toEqual([0, 1, 2]);
  });

  it('resolves at once for nothing to send, and uses no more workers than calls', async () => {
    await inWindow(0, 4, new AbortController().signal, () => Promise.reject(new Error('called')));
    const calls = gate();
    const done = inWindow(2, 64, new AbortController().signal, calls.send);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.called).toEqual([0, 1]);
    await calls.settleOne();
    await calls.settleOne();
    await done;
  });
});
