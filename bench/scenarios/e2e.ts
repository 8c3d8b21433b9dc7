import { shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import { summarize, type Summary } from '../stats.js';
import { startUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import { collectGarbage, savedRun } from './checked-run.js';

export interface E2eResult {
  readonly variant: string;
  readonly shape: string;
  readonly connections: number;
  readonly total: number;
  /** GET with wait=saved until its answer, measured by the bench. */
  readonly wallMs: Summary;
  /** The answer's elapsedMs: from the run's start until the client saw the last line flushed. */
  readonly elapsedMs: Summary;
  readonly tasksPerSecond: Summary;
  readonly tasksPerSecondByElapsed: Summary;
}

/** A tenth of the shape on the same connections: warms up the JIT and every connection. */
const warmUpShape = (shape: RunShape): RunShape => ({
  connections: shape.connections,
  values: Math.max(1, Math.ceil(shape.values / 10)),
});

/** End to end, delay_range=0: tasks/s from the GET until the last line is flushed. */
export async function runE2e(
  variants: readonly SystemVariant[],
  shapes: readonly RunShape[],
  repeat: number,
  log: Log,
  childNodeArgs: readonly string[],
): Promise<E2eResult[]> {
  const results: E2eResult[] = [];
  for (const variant of variants) {
    log.step(`e2e: ${variant.name}`);
    const sut = await startUnderTest(variant, { nodeArgs: childNodeArgs });
    try {
      for (const shape of shapes) await savedRun(sut, warmUpShape(shape), 0);
      for (const shape of shapes) {
        const wall: number[] = [];
        const elapsed: number[] = [];
        for (let at = 1; at <= repeat; at++) {
          collectGarbage();
          const { view, wallMs } = await savedRun(sut, shape, 0);
          wall.push(wallMs);
          elapsed.push(view.elapsedMs);
          log.detail(
            `${variant.name} ${shapeName(shape)}: ${Math.round(wallMs)} ms, ` +
              `${Math.round(totalOf(shape) / (wallMs / 1000))} tasks/s`,
          );
        }
        const total = totalOf(shape);
        const rate = (ms: number) => total / (ms / 1000);
        results.push({
          variant: variant.name,
          shape: shapeName(shape),
          connections: shape.connections,
          total,
          wallMs: summarize(wall),
          elapsedMs: summarize(elapsed),
          tasksPerSecond: summarize(wall.map(rate)),
          tasksPerSecondByElapsed: summarize(elapsed.map(rate)),
        });
      }
    } finally {
      await sut.close();
    }
  }
  return results;
}
