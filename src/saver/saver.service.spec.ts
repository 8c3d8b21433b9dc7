import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CapturedLogs } from '../../test/support/captured-logs.js';
import type { Result } from '../common/contracts/messages.js';
import type { ResultRefusal } from '../ops/pipeline-metrics.js';
import { loadSettings } from '../common/settings/environment.js';
import { SaverObservers } from './saver-observers.js';
import { SaverService } from './saver.service.js';

const result = (seq: number, total = 3): Result => ({
  runId: 'idle-run',
  seq,
  total,
  conn: 1,
  idx: seq,
  value: seq,
  sentAt: 1,
  delayRange: 0,
  processedAt: 2,
  delayMs: 0,
  processor: 'test:1',
});

describe(SaverService.name, () => {
  let dir: string;
  let sut: SaverService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saver-service-'));
    sut = new SaverService(
      loadSettings({ OUTPUT_DIR: dir, SAVER_IDLE_MS: '1000', LOG_LEVEL: 'error' }),
      new SaverObservers(),
    );
  });

  afterEach(async () => {
    await sut.onApplicationShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits, up to 2 s, for the saver to say the run of `total` results is completed. */
  const untilCompleted = async (total: number) => {
    for (let waited = 0; waited < 2000; waited += 20) {
      if ((await sut.status({ runId: 'idle-run', total })).state === 'completed') return;
      await sleep(20);
    }
  };

  const seqsInFile = async () =>
    (await readFile(join(dir, 'idle-run.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as Result).seq);

  it('closes a run that received nothing for SAVER_IDLE_MS, and reopens it from its file', async () => {
    await sut.open({ runId: 'idle-run', total: 3 });
    await sut.accept(result(1));
    await sut.accept(result(3)); // held for seq 2
    await sleep(1100);
    const closing = sut.closeIdleRuns();
    // A result that arrives while the file closes waits for the reopened run: never two writers.
    const during = sut.accept(result(2));
    await closing;
    expect(await during).toEqual({ accepted: true });
    // Seq 3 was only held in memory when the run closed: it comes again, as the client's repair would.
    expect((await sut.status({ runId: 'idle-run', total: 3, missingLimit: 10 })).missing).toEqual([
      3,
    ]);
    await sut.accept(result(3));
    await untilCompleted(3);
    expect(await seqsInFile()).toEqual([1, 2, 3]);
  });

  it('keeps a run that is still receiving', async () => {
    await sut.open({ runId: 'idle-run', total: 3 });
    await sut.accept(result(2));
    await sut.closeIdleRuns();
    await sut.accept(result(1));
    await sut.accept(result(3));
    await untilCompleted(3);
    expect(await seqsInFile()).toEqual([1, 2, 3]);
  });

  it('reopens a run from its file once, however many results for it arrive at once', async () => {
    await sut.open({ runId: 'idle-run', total: 40 });
    await sut.onApplicationShutdown();
    // A saver that restarted: the file is on disk, nothing is open.
    sut = new SaverService(
      loadSettings({ OUTPUT_DIR: dir, LOG_LEVEL: 'error' }),
      new SaverObservers(),
    );
    const seqs = Array.from({ length: 40 }, (_, at) => 40 - at);
    await Promise.all(seqs.map((seq) => sut.accept(result(seq, 40))));
    expect(sut.openRuns).toBeLessThanOrEqual(1);
    await untilCompleted(40);
    expect(await seqsInFile()).toEqual(Array.from({ length: 40 }, (_, at) => at + 1));
    expect(sut.openRuns).toBe(0);
  });

  it('counts and logs, throttled, every result for a run never opened, and drops it', async () => {
    const logs = new CapturedLogs();
    Logger.overrideLogger(logs);
    const observers = new SaverObservers();
    const refused: ResultRefusal[] = [];
    observers.add({ refused: (_runId, _seq, reason) => refused.push(reason) });
    await sut.onApplicationShutdown();
    sut = new SaverService(loadSettings({ OUTPUT_DIR: dir, LOG_LEVEL: 'error' }), observers);
    try {
      for (const seq of [1, 2, 3])
        await expect(sut.accept(result(seq))).rejects.toThrow(
          'run idle-run is not open at the saver',
        );
    } finally {
      Logger.overrideLogger(new Logger());
    }
    expect(refused).toEqual(['run_not_open', 'run_not_open', 'run_not_open']);
    // One line for the three: a sender of many results for no run writes a line a second.
    const warnings = logs.lines.filter(({ level }) => level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('result refused (run_not_open)');
    expect(warnings[0]?.message).toContain('dropped');
  });

  it('counts a copy of a result for a completed run as already written', async () => {
    const refused: ResultRefusal[] = [];
    const observers = new SaverObservers();
    observers.add({ refused: (_runId, _seq, reason) => refused.push(reason) });
    await sut.onApplicationShutdown();
    sut = new SaverService(loadSettings({ OUTPUT_DIR: dir, LOG_LEVEL: 'error' }), observers);
    await sut.open({ runId: 'idle-run', total: 1 });
    await sut.accept(result(1, 1));
    await untilCompleted(1);
    expect(await sut.accept(result(1, 1))).toEqual({ accepted: false });
    expect(refused).toEqual(['run_completed']);
  });
});
