import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../test/support/sse.js';
import { HeldResults } from './held-results.js';
import { RunPipeline, runFilePath } from './run-pipeline.js';
import { SaverObservers } from './saver-observers.js';

const line = (seq: number) => `{"seq":${seq}}\n`;

describe(RunPipeline.name, () => {
  let dir: string;
  const options = () => ({ outputDir: dir, flushMs: 1, batchMax: 3, reorderWindow: 1000 });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-pipeline-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes lines in seq order whatever the arrival order, and completes on the last one', async () => {
    const sut = await RunPipeline.open('run-a', 7, options());
    for (const seq of [3, 1, 7, 2, 2, 6, 5, 4]) sut.push(seq, line(seq));
    await sut.finished;
    expect(await readFile(runFilePath(dir, 'run-a'), 'utf8')).toBe(
      [1, 2, 3, 4, 5, 6, 7].map(line).join(''),
    );
    expect(sut.completed).toBe(true);
    expect(sut.status(10)).toMatchObject({
      state: 'completed',
      written: 7,
      duplicates: 1,
      missing: [],
    });
    expect(sut.push(4, line(4))).toBe('duplicate');
  });

  it('reports the gap it waits for, and the results it holds behind it', async () => {
    const sut = await RunPipeline.open('run-b', 5, options());
    for (const seq of [1, 3, 5]) sut.push(seq, line(seq));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sut.status(10)).toMatchObject({
      state: 'writing',
      written: 1,
      waitingFor: 2,
      buffered: 2,
      missing: [2, 4],
    });
    await sut.close();
    // Held results are not written on close: they come again through the repair.
    expect(await readFile(runFilePath(dir, 'run-b'), 'utf8')).toBe(line(1));
  });

  it('holds no more than SAVER_MAX_HELD over all runs, but always takes the next seq of a run', async () => {
    const held = new HeldResults(2);
    const a = await RunPipeline.open('run-held-a', 4, { ...options(), held });
    const b = await RunPipeline.open('run-held-b', 4, { ...options(), held });
    expect([a.push(3, line(3)), a.push(4, line(4))]).toEqual(['accepted', 'accepted']);
    expect(held.held).toBe(2);
    // A second copy of a held result is a duplicate, not a refusal.
    expect(a.push(4, line(4))).toBe('duplicate');
    // b's results would wait too: refused for now, until a's are released.
    expect(b.push(3, line(3))).toBe('saver-full');
    expect(b.push(1, line(1))).toBe('accepted');
    expect(b.push(3, line(3))).toBe('saver-full');
    expect(a.push(2, line(2))).toBe('saver-full');
    expect(a.push(1, line(1))).toBe('accepted');
    expect(held.held).toBe(2);
    expect(b.push(2, line(2))).toBe('accepted');
    expect(a.push(2, line(2))).toBe('accepted');
    await a.finished;
    expect(held.held).toBe(0);
    expect(b.push(4, line(4))).toBe('accepted');
    expect(held.held).toBe(1);
    // A run that stops holding results gives their places back.
    await b.close();
    expect(held.held).toBe(0);
    expect(await readFile(runFilePath(dir, 'run-held-a'), 'utf8')).toBe(
      [1, 2, 3, 4].map(line).join(''),
    );
  });

  it('picks up a file that holds a prefix and cuts its torn last line', async () => {
    await writeFile(runFilePath(dir, 'run-c'), `${line(1)}${line(2)}{"seq":3,"tor`);
    const sut = await RunPipeline.open('run-c', 4, options());
    expect(sut.status(10)).toMatchObject({ written: 2, waitingFor: 3, missing: [3, 4] });
    for (const seq of [4, 1, 3]) sut.push(seq, line(seq));
    await sut.finished;
    expect(await readFile(runFilePath(dir, 'run-c'), 'utf8')).toBe([1, 2, 3, 4].map(line).join(''));
  });

  it('with shared files, stops without failing once another saver has written the file, and leaves it exact', async () => {
    const shared = { ...options(), sharedFiles: true };
    const stale = await RunPipeline.open('run-s', 6, shared);
    stale.push(1, line(1));
    await eventually(() => stale.status(0).written === 1, 'line 1 written');
    // Another saver takes the run over and writes on from the file.
    const taker = await RunPipeline.open('run-s', 6, shared);
    for (const seq of [2, 3]) taker.push(seq, line(seq));
    await eventually(() => taker.status(0).written === 3, 'lines 2 and 3 written');
    // The stale one still believes line 2 comes next.
    stale.push(2, line(2));
    await stale.finished;
    expect({ failed: stale.failed, stoppedEarly: stale.stoppedEarly }).toEqual({
      failed: false,
      stoppedEarly: true,
    });
    for (const seq of [4, 5, 6]) taker.push(seq, line(seq));
    await taker.finished;
    expect(taker.completed).toBe(true);
    expect(await readFile(runFilePath(dir, 'run-s'), 'utf8')).toBe(
      [1, 2, 3, 4, 5, 6].map(line).join(''),
    );
  });

  it('refuses a file that holds more lines than the run has tasks', async () => {
    await writeFile(runFilePath(dir, 'run-d'), [1, 2, 3].map(line).join(''));
    await expect(RunPipeline.open('run-d', 2, options())).rejects.toThrow('more than the run');
  });

  it('tells every observer when each result arrives, leaves the buffer and is written', async () => {
    const observers = new SaverObservers();
    const events: string[] = [];
    const others: string[] = [];
    observers.add({
      received: (_run, seq, delayMs) => events.push(`received ${seq} after ${delayMs}`),
      released: (_run, first, count, buffered) =>
        events.push(`released ${first}+${count}, ${buffered} held`),
      written: (_run, first, count) => events.push(`written ${first}+${count}`),
      duplicate: (_run, seq) => events.push(`duplicate ${seq}`),
    });
    const removeOther = observers.add({ received: (_run, seq) => others.push(`received ${seq}`) });
    const sut = await RunPipeline.open('run-e', 3, { ...options(), observers });
    sut.push(3, line(3), 30);
    sut.push(2, line(2), 20);
    removeOther();
    sut.push(2, line(2), 20);
    sut.push(1, line(1), 10);
    await sut.finished;
    expect(events).toEqual([
      'received 3 after 30',
      'received 2 after 20',
      'received 2 after 20',
      'duplicate 2',
      'received 1 after 10',
      'released 1+3, 0 held',
      'written 1+3',
    ]);
    expect(others).toEqual(['received 3', 'received 2']);
  });

  it('refuses a result REORDER_WINDOW or more ahead of the file, and takes it once the file moves', async () => {
    const sut = await RunPipeline.open('run-f', 6, { ...options(), reorderWindow: 3 });
    expect(sut.push(4, line(4))).toBe('too-far-ahead');
    expect(sut.push(3, line(3))).toBe('accepted');
    expect(sut.status(10).buffered).toBe(1);
    expect(sut.push(1, line(1))).toBe('accepted');
    expect(sut.push(5, line(5))).toBe('too-far-ahead');
    expect(sut.push(2, line(2))).toBe('accepted');
    for (const seq of [4, 5, 6]) expect(sut.push(seq, line(seq))).toBe('accepted');
    await sut.finished;
    expect(await readFile(runFilePath(dir, 'run-f'), 'utf8')).toBe(
      [1, 2, 3, 4, 5, 6].map(line).join(''),
    );
  });
});
