import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunPipeline, runFilePath } from '../run-pipeline.js';
import { SaverObservers } from '../saver-observers.js';
import { RECORDED_RUNS, SaverReportRecorder } from './saver-report-recorder.js';
import { ARRIVAL_POINTS } from './saver-run-recording.js';

const line = (seq: number) => `{"seq":${seq}}\n`;

describe(SaverReportRecorder.name, () => {
  let dir: string;
  let observers: SaverObservers;
  let sut: SaverReportRecorder;
  const open = (runId: string, total: number) =>
    RunPipeline.open(runId, total, {
      outputDir: dir,
      flushMs: 1,
      batchMax: 50,
      reorderWindow: 1_000_000,
      observers,
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saver-report-'));
    observers = new SaverObservers();
    sut = new SaverReportRecorder(observers, { outputDir: dir });
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('records the arrival order, the delays, the reorder wait and the depth of a run', async () => {
    const pipeline = await open('run-a', 6);
    const arrival = [3, 1, 6, 2, 2, 5, 4];
    for (const seq of arrival) pipeline.push(seq, line(seq), seq * 100);
    await pipeline.finished;

    const report = sut.report('run-a');
    expect(report).toMatchObject({ known: true, received: 7, released: 6, duplicates: 1 });
    expect(report.arrivals).toEqual({ seen: 7, x: [1, 2, 3, 4, 5, 6, 7], y: arrival });
    expect(report.delays.bucketWidth).toBe(16);
    expect(report.delays.counts.reduce((a, b) => a + b, 0)).toBe(7);
    // Every seq waited in the buffer once, the duplicate not at all.
    expect(report.reorderWaitMs.count).toBe(6);
    const { buffered, written } = report.timeline.columns;
    // 3 waits alone, then 3 and 6 wait for 2 after 1 is released; 4 frees the last.
    expect(Math.max(...buffered)).toBeGreaterThanOrEqual(2);
    expect(buffered.at(-1)).toBe(0);
    expect(written.at(-1)).toBe(6);
    expect(report.timeline.t.every((t) => t > Date.now() - 60_000 && t <= Date.now())).toBe(true);
  });

  it('keeps its bounds: the arrival sample and the number of runs', async () => {
    const pipeline = await open('run-big', 20_000);
    for (let seq = 20_000; seq >= 1; seq--) pipeline.push(seq, line(seq), 1);
    await pipeline.finished;
    const { arrivals, reorderWaitMs } = sut.report('run-big');
    expect(arrivals.seen).toBe(20_000);
    expect(arrivals.x.length).toBeLessThanOrEqual(ARRIVAL_POINTS);
    expect(arrivals.y[0]).toBe(20_000 - arrivals.x[0] + 1);
    expect(reorderWaitMs.count).toBe(20_000);

    for (let run = 1; run <= RECORDED_RUNS; run++) observers.received(`run-${run}`, 1, 0, 0);
    expect(sut.report('run-big').known).toBe(false);
    expect(sut.report('run-1').known).toBe(true);
    expect(sut.report(`run-${RECORDED_RUNS}`).known).toBe(true);
  });

  it('lets a duplicate of a line already in a reopened file wait for nothing', async () => {
    await writeFile(runFilePath(dir, 'run-c'), `${line(1)}${line(2)}`);
    const pipeline = await open('run-c', 3);
    for (const seq of [1, 3]) pipeline.push(seq, line(seq), 0);
    await pipeline.finished;
    const report = sut.report('run-c');
    expect(report).toMatchObject({ received: 2, released: 1, duplicates: 1 });
    expect(report.reorderWaitMs.count).toBe(1);
    expect(report.timeline.columns.buffered.at(-1)).toBe(0);
  });

  it('stops observing when its module is destroyed', async () => {
    await sut.onModuleDestroy();
    observers.received('run-z', 1, 0, 0);
    expect(sut.report('run-z').known).toBe(false);
  });
});
