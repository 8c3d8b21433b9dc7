import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { BoundedSlots, NoSlotError } from './bounded-slots.js';

/** Lets every promise callback that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What became of an acquisition once every ready callback ran: granted, refused, or still waiting. */
async function outcome(acquired: Promise<void>): Promise<unknown> {
  return Promise.race([
    acquired.then(
      () => 'granted',
      (error: unknown) => error,
    ),
    settle().then(() => 'still waiting'),
  ]);
}

/** Records the order in which acquisitions are granted (or refused). */
function track(sut: BoundedSlots, name: string, log: string[]): Promise<void> {
  return sut.acquire().then(
    () => void log.push(name),
    (error: unknown) => {
      log.push(`${name}: ${(error as Error).name}`);
    },
  );
}

describe(BoundedSlots.name, () => {
  it('grants `capacity` slots at once and holds the next until one is released', async () => {
    const sut = new BoundedSlots(2, 10, 0);
    const log: string[] = [];
    void track(sut, 'a', log);
    void track(sut, 'b', log);
    void track(sut, 'c', log);
    await settle();
    expect(log).toEqual(['a', 'b']);
    expect(sut.held).toBe(2);
    expect(sut.waiting).toBe(1);

    sut.release();
    await settle();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(sut.held).toBe(2);
    expect(sut.waiting).toBe(0);
  });

  it('hands released slots to the waiters first come, first served', async () => {
    const sut = new BoundedSlots(1, 10, 0);
    const log: string[] = [];
    await sut.acquire();
    for (const name of ['w1', 'w2', 'w3']) void track(sut, name, log);
    await settle();
    expect(log).toEqual([]);

    for (let i = 0; i < 3; i++) {
      sut.release();
      await settle();
    }
    expect(log).toEqual(['w1', 'w2', 'w3']);
  });

  it('does not let a newcomer overtake the line when a slot is free but someone waits', async () => {
    const sut = new BoundedSlots(1, 10, 0);
    const log: string[] = [];
    await sut.acquire();
    void track(sut, 'waiter', log);
    sut.release(); // the waiter is granted synchronously...
    void track(sut, 'newcomer', log); // ...so the newcomer waits behind it
    await settle();
    expect(log).toEqual(['waiter']);
    expect(sut.waiting).toBe(1);
  });

  it('refuses at once with NoSlotError when `maxWaiting` are already waiting', async () => {
    const sut = new BoundedSlots(1, 2, 0);
    await sut.acquire();
    void sut.acquire();
    void sut.acquire();
    const refused = await outcome(sut.acquire());
    expect(refused).toBeInstanceOf(NoSlotError);
    expect((refused as Error).message).toBe('1 held and 2 waiting: no room');
    expect(sut.waiting).toBe(2);
  });

  it('refuses at once when nothing may wait and every slot is held', async () => {
    const sut = new BoundedSlots(1, 0, 0);
    await sut.acquire();
    expect(await outcome(sut.acquire())).toBeInstanceOf(NoSlotError);
  });

  describe('with a wait bound', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    /** One slot, held, and a waiter `name` behind it that may wait `waitMs`; `log` says how it ends. */
    async function waiterBehindHeldSlot(waitMs: number, name: string) {
      const sut = new BoundedSlots(1, 10, waitMs);
      await sut.acquire();
      const log: string[] = [];
      const waiting = track(sut, name, log);
      return { sut, log, waiting };
    }

    it('refuses a waiter after `waitMs`, takes it out of the line, and never grants it later', async () => {
      const { sut, log, waiting: late } = await waiterBehindHeldSlot(100, 'late');

      await jest.advanceTimersByTimeAsync(99);
      expect(log).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      await late;
      expect(log).toEqual(['late: NoSlotError']);
      expect(sut.waiting).toBe(0);

      // The slot that comes free now is not handed to the waiter that left.
      sut.release();
      expect(sut.held).toBe(0);
      await sut.acquire();
      expect(sut.held).toBe(1);
    });

    it('clears the timer of a waiter that got its slot in time', async () => {
      const { sut, log } = await waiterBehindHeldSlot(100, 'served');
      expect(jest.getTimerCount()).toBe(1);
      sut.release();
      await jest.advanceTimersByTimeAsync(0);
      expect(log).toEqual(['served']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('waits without a timer, as long as it takes, when `waitMs` is 0', async () => {
      const { sut, log } = await waiterBehindHeldSlot(0, 'patient');
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(24 * 3600 * 1000);
      expect(log).toEqual([]);
      sut.release();
      await jest.advanceTimersByTimeAsync(0);
      expect(log).toEqual(['patient']);
    });
  });

  describe('run()', () => {
    it('holds a slot while the work runs and answers its result', async () => {
      const sut = new BoundedSlots(1, 10, 0);
      const answer = await sut.run(() => {
        expect(sut.held).toBe(1);
        return Promise.resolve(42);
      });
      expect(answer).toBe(42);
      expect(sut.held).toBe(0);
    });

    it('releases the slot when the work throws, and passes the error on', async () => {
      const sut = new BoundedSlots(1, 10, 0);
      await expect(sut.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(sut.held).toBe(0);
      await expect(sut.run(() => Promise.resolve('again'))).resolves.toBe('again');
    });
  });
});
