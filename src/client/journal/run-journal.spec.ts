import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../common/settings/settings.js';
import { Run } from '../run.js';
import { beyondRetention } from '../runs.service.js';
import { FrameKind, readFrames } from './journal-frames.js';
import { RunJournal } from './run-journal.js';
import { StateDirInUseError } from './state-lock.js';
import { taskValue } from './task-value.js';

const settingsFor = (dir: string, journal: 'fsync' | 'write' = 'write'): Settings =>
  ({
    state: { dir, journal, resume: 'auto', historyMax: 1000, historyDays: 30 },
  }) as unknown as Settings;

let counter = 0;
function newRun(connectionCount: number, connectionValue: number, seed = 7): Run {
  counter++;
  const runId = `run-${String(counter).padStart(4, '0')}`;
  return new Run(runId, { connectionCount, connectionValue, delayRange: 0 }, `${runId}.jsonl`, {
    reorderWindow: 1_000_000,
    seed,
  });
}

/** Takes seqs for `count` tasks, round-robin over the run's connections (as its sender would). */
function takeSeqs(run: Run, count: number, journal: RunJournal): Promise<void>[] {
  const pending = new Set<Promise<void>>();
  for (let n = 0; n < count; n++) {
    const conn = (run.sent % run.shape.connectionCount) + 1;
    run.nextTask(conn, run.firstIdx(conn) + Math.floor(run.sent / run.shape.connectionCount));
    pending.add(journal.sent(run) as Promise<void>);
  }
  return [...pending];
}

describe('RunJournal', () => {
  let dir: string;
  const opened: RunJournal[] = [];
  const open = async (journalMode: 'fsync' | 'write' = 'write') => {
    const journal = new RunJournal(settingsFor(dir, journalMode));
    opened.push(journal);
    return { journal, past: await journal.open() };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-journal-'));
  });
  afterEach(async () => {
    for (const journal of opened.splice(0)) await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a group of seqs taken in one turn as one frame, before any of them is released', async () => {
    const { journal } = await open('fsync');
    const run = newRun(4, 250);
    await journal.accepted(run, run.seed);
    run.admit();
    const groups = takeSeqs(run, 1000, journal);
    // One group for all of them: every promise is the same.
    expect(groups).toHaveLength(1);
    await groups[0];
    const frames = readFrames(await readFile(join(dir, 'journal'))).chunks;
    const tasks = frames.filter((chunk) => chunk.kind === FrameKind.Tasks);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ runId: run.runId, firstSeq: 1, count: 1000 });
  });

  it('gives a restarted client every seq, conn, idx and sentAt it journaled, and the same task values', async () => {
    const first = await open();
    const run = newRun(3, 100, 12345);
    await first.journal.accepted(run, run.seed);
    run.admit();
    first.journal.admitted(run);
    await Promise.all(takeSeqs(run, 50, first.journal));
    const before = Array.from({ length: 50 }, (_, at) => run.task(at + 1));
    await first.journal.close();

    const { past } = await open();
    expect(past).toHaveLength(1);
    const [journaled] = past;
    expect(journaled).toMatchObject({ runId: run.runId, admitted: true, seed: 12345 });
    expect(journaled.tasks?.count).toBe(50);
    const resumed = new Run(run.runId, run.shape, `${run.runId}.jsonl`, {
      reorderWindow: 1_000_000,
      seed: journaled.seed,
      past: { createdAt: journaled.createdAt, restarts: 1, tasks: journaled.tasks },
    });
    resumed.admit();
    expect(resumed.sent).toBe(50);
    // Byte-identical tasks, whatever life sends them.
    expect(Array.from({ length: 50 }, (_, at) => resumed.task(at + 1))).toEqual(before);
    expect(before[0].value).toBe(taskValue(12345, before[0].conn, before[0].idx));
    // Each connection goes on after its last journaled idx.
    for (let conn = 1; conn <= 3; conn++) {
      const last = Math.max(...before.filter((task) => task.conn === conn).map((task) => task.idx));
      expect(resumed.firstIdx(conn)).toBe(last + 1);
    }
  });

  it('keeps every intact record of a torn or corrupt journal and says what it dropped', async () => {
    const first = await open();
    const done = newRun(1, 10);
    const live = newRun(1, 10);
    await first.journal.accepted(done, done.seed);
    await first.journal.accepted(live, live.seed);
    live.admit();
    await Promise.all(takeSeqs(live, 4, first.journal));
    await Promise.all(takeSeqs(live, 3, first.journal));
    await first.journal.close();
    const path = join(dir, 'journal');
    // Cut the last frame (seqs 5..7) in the middle, then append garbage.
    await truncate(path, (await stat(path)).size - 10);
    await appendFile(path, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    const { journal, past } = await open();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('torn or corrupt tail');
    warn.mockRestore();
    expect(past.map((run) => run.runId)).toEqual([done.runId, live.runId]);
    expect(past[1].tasks?.count).toBe(4);
    // The journal was rewritten clean: a third start reads it whole, with nothing dropped.
    await journal.close();
    opened.pop();
    const bytes = await readFile(path);
    expect(readFrames(bytes).droppedBytes).toBe(0);
    const again = await open();
    expect(again.past[1].tasks?.count).toBe(4);
  });

  it('sets a journal of an unknown format aside and starts empty', async () => {
    const first = await open();
    await first.journal.accepted(newRun(1, 1), 1);
    await first.journal.close();
    const path = join(dir, 'journal');
    const bytes = await readFile(path);
    bytes.writeUInt32LE(99, 4);
    await writeFile(path, bytes);
    const { past } = await open();
    expect(past).toEqual([]);
    expect((await readdir(dir)).some((name) => name.startsWith('journal.unreadable-'))).toBe(true);
  });

  it('compacts: the tasks of ended runs and forgotten runs leave the file, history stays', async () => {
    const { journal } = await open();
    const runs: Run[] = [];
    for (let n = 0; n < 6; n++) {
      const run = newRun(10, 20_000);
      runs.push(run);
      await journal.accepted(run, run.seed);
      run.admit();
      await Promise.all(takeSeqs(run, 200_000, journal));
      run.sendingDone();
      run.cancel();
      await journal.ended(run);
    }
    journal.forget(runs[0].runId);
    const live = newRun(1, 100);
    await journal.accepted(live, live.seed);
    live.admit();
    await Promise.all(takeSeqs(live, 100, journal));
    // 6 × 200,000 tasks × 16 bytes went through; the file holds only what is needed now.
    expect(journal.size).toBeLessThan(12 * 1024 * 1024);
    await journal.close();
    opened.pop();
    const { past } = await open();
    expect(past.map((run) => run.runId)).toEqual([...runs.slice(1), live].map((run) => run.runId));
    expect(past.slice(0, 5).every((run) => run.ended?.state === 'cancelled')).toBe(true);
    expect(past[5].tasks?.count).toBe(100);
  });

  it('keeps the tasks of a run taken back at start through a rewrite, before it is admitted again', async () => {
    const first = await open();
    const waiting = newRun(2, 50);
    await first.journal.accepted(waiting, waiting.seed);
    waiting.admit();
    first.journal.admitted(waiting);
    await Promise.all(takeSeqs(waiting, 30, first.journal));
    await first.journal.close();
    opened.pop();

    const second = await open();
    const [past] = second.past;
    const back = new Run(waiting.runId, waiting.shape, `${waiting.runId}.jsonl`, {
      reorderWindow: 1_000_000,
      seed: past.seed,
      past: { createdAt: past.createdAt, restarts: 1, tasks: past.tasks },
    });
    second.journal.adopt(back, past);
    // Still queued when a big run's end makes the journal rewrite itself.
    const big = newRun(10, 30_000);
    await second.journal.accepted(big, big.seed);
    big.admit();
    await Promise.all(takeSeqs(big, 300_000, second.journal));
    const grown = second.journal.size;
    big.cancel();
    await second.journal.ended(big);
    await second.journal.accepted(newRun(1, 1), 1);
    expect(second.journal.size).toBeLessThan(grown);
    await second.journal.close();
    opened.pop();

    const third = await open();
    expect(third.past.find((run) => run.runId === waiting.runId)?.tasks?.count).toBe(30);
  });

  it('refuses a second client on the same folder while the first holds it', async () => {
    await open();
    await expect(new RunJournal(settingsFor(dir)).open()).rejects.toThrow(StateDirInUseError);
  });
});

describe('beyondRetention', () => {
  const DAY = 86_400_000;
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-06-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const run = (runId: string, ageDays: number, current: 'completed' | 'sending' = 'completed') => ({
    runId,
    createdAt: Date.now() - ageDays * DAY,
    current,
  });

  it('forgets the oldest ended runs past RUN_HISTORY_MAX, never a run in progress', () => {
    const runs = [run('a', 3, 'sending'), run('b', 2), run('c', 1), run('d', 0)];
    expect(beyondRetention(runs, { historyMax: 2, historyDays: 30 }, Date.now())).toEqual([
      'b',
      'c',
    ]);
  });

  it('forgets ended runs older than RUN_HISTORY_DAYS; 0 days keeps them', () => {
    const runs = [run('old', 40), run('older-but-live', 50, 'sending'), run('new', 1)];
    expect(beyondRetention(runs, { historyMax: 100, historyDays: 30 }, Date.now())).toEqual([
      'old',
    ]);
    jest.setSystemTime(Date.now() + 100 * DAY);
    expect(beyondRetention(runs, { historyMax: 100, historyDays: 0 }, Date.now())).toEqual([]);
  });
});
