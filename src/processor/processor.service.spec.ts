import { describe, expect, it } from '@jest/globals';
import type { Result, ResultReceipt, Task } from '../common/contracts/messages.js';
import { loadSettings } from '../common/settings/environment.js';
import { allDone, collectMessageWork } from '../common/delivery/message-work.js';
import type { ItemSend } from '../common/delivery/peer-link.js';
import { ProcessorService } from './processor.service.js';

const task = (seq: number, delayRange = 0): Task => ({
  runId: 'run-1',
  seq,
  total: 3,
  conn: 1,
  idx: seq,
  value: 7,
  sentAt: Date.now(),
  delayRange,
});

/** A hop to the saver that records what it is handed, and fails when told to. */
function fakeSaver(fail = false) {
  const handed: Result[] = [];
  const link: ItemSend<Result, ResultReceipt> = (result) => {
    handed.push(result);
    return fail ? Promise.reject(new Error('saver away')) : Promise.resolve({ accepted: true });
  };
  return { link, handed };
}

/** Takes `task` as a handler would, and answers the work it declared for its message. */
async function workOf(sut: ProcessorService, task: Task): Promise<Promise<boolean>[]> {
  const work: Promise<boolean>[] = [];
  await collectMessageWork(work, () => sut.take(task));
  expect(work).toHaveLength(1);
  return work;
}

describe(ProcessorService.name, () => {
  const settings = loadSettings({ LOG_LEVEL: 'error' });

  it('hands each task to the saver once, with its delay and its processor id', async () => {
    const { link, handed } = fakeSaver();
    const sut = new ProcessorService(link, settings);
    const taken = await Promise.all([workOf(sut, task(1, 0.05)), workOf(sut, task(2))]);
    expect(await Promise.all(taken.map(allDone))).toEqual([true, true]);
    expect(handed.map((result) => result.seq).sort()).toEqual([1, 2]);
    const [first] = handed.filter((result) => result.seq === 1);
    expect(first.delayMs).toBeLessThanOrEqual(50);
    expect(first.processedAt).toBeGreaterThanOrEqual(first.sentAt);
    expect(first.processor).toBe(sut.id);
    expect(sut.pending).toBe(0);
  });

  it('does not process a task twice while it still holds it', async () => {
    const { link, handed } = fakeSaver();
    const sut = new ProcessorService(link, settings);
    const first = await workOf(sut, task(1, 0.05));
    const again = await workOf(sut, task(1, 0.05));
    expect(sut.pending).toBe(1);
    expect(await allDone([...first, ...again])).toBe(true);
    expect(handed).toHaveLength(1);
  });

  it('counts a result the saver refused for good (its run ended there) as finished, one it refused for now as not', async () => {
    const refusing = (refusal: object) => {
      // A peer's refusal comes as the plain object Nest carries, not an Error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      const link: ItemSend<Result, ResultReceipt> = () => Promise.reject(refusal);
      return new ProcessorService(link, settings);
    };
    const forGood = refusing({ status: 'error', message: 'run r is cancelled at the saver' });
    expect(await allDone(await workOf(forGood, task(1)))).toBe(true);
    const forNow = refusing({ status: 'error', message: 'too far ahead', retryable: true });
    expect(await allDone(await workOf(forNow, task(1)))).toBe(false);
  });

  it('reports a failed hand-off instead of throwing', async () => {
    const { link } = fakeSaver(true);
    const sut = new ProcessorService(link, settings);
    expect(await allDone(await workOf(sut, task(3)))).toBe(false);
    expect(sut.pending).toBe(0);
  });
});
