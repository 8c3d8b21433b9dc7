import type { RunView } from '../../src/common/contracts/http.js';
import { rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { expectCompleted, runOverHttp, shapeName, type RunShape, type TimedRun } from '../http.js';
import type { SystemUnderTest } from '../systems/system-under-test.js';
import { verifyRunFile, type FileTimes } from '../verify-file.js';

/** Checks that the run's file lies in the system's output folder, and answers its path. */
export function runFile(sut: SystemUnderTest, view: RunView): string {
  const inside = relative(sut.outputDir, view.file);
  if (inside.startsWith('..') || inside.includes('/')) {
    throw new Error(`run ${view.runId} wrote ${view.file}, outside ${sut.outputDir}`);
  }
  return view.file;
}

/** Verifies a completed run's file line by line, then deletes it (a 1M-line file is ~250 MB). */
export async function verifyAndDrop(
  sut: SystemUnderTest,
  view: RunView,
  shape: RunShape,
  keepTimes = false,
): Promise<FileTimes | undefined> {
  expectCompleted(view, `${sut.variant.name} ${shapeName(shape)}`);
  const file = runFile(sut, view);
  const times = await verifyRunFile(
    file,
    {
      runId: view.runId,
      connectionCount: shape.connections,
      connectionValue: shape.values,
      delayRange: view.delayRange,
    },
    keepTimes,
  );
  await rm(file, { force: true });
  return times;
}

/** One run over HTTP with `wait=saved`, its file checked and dropped. */
export async function savedRun(
  sut: SystemUnderTest,
  shape: RunShape,
  delayRange: number,
): Promise<TimedRun> {
  const run = await runOverHttp(sut.baseUrl, shape, delayRange, 'saved');
  await verifyAndDrop(sut, run.view, shape);
  return run;
}

/** Lets the bench process (and an in-process monolith) start the next run with a clean heap. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
