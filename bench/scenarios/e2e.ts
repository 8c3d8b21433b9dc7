import { runOverHttp, shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import type { BenchOptions } from '../options.js';
import { summarize, type Summary } from '../stats.js';
import { cpuByProcess, startUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import { collectGarbage, savedRun, verifyAndDrop } from './checked-run.js';

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
  /**
   * CPU time per process during a run, ms (the monolith's process, or each module's process).
   * Shows where the time goes.
   */
  readonly cpuMs: Record<string, Summary>;
}

/** A tenth of the shape on the same connections: warms up the JIT and every connection. */
export const warmUpShape = (shape: RunShape): RunShape => ({
  connections: shape.connections,
  values: Math.max(1, Math.ceil(shape.values / 10)),
});

/** End to end, delay_range=0: tasks/s from the GET until the last line is flushed. */
export async function runE2e(
  variants: readonly SystemVariant[],
  options: Pick<BenchOptions, 'e2eShapes' | 'repeat' | 'brokers' | 'childNodeArgs'>,
  log: Log,
): Promise<E2eResult[]> {
  const { repeat } = options;
  const results: E2eResult[] = [];
  for (const variant of variants) {
    // Brokers, "light": a tenth of the first shape only (they run at a fraction of TCP's rate).
    const light = variant.brokerPort !== undefined && options.brokers === 'light';
    const shapes = light ? options.e2eShapes.slice(0, 1).map(warmUpShape) : options.e2eShapes;
    log.step(`e2e: ${variant.name}${light ? ' (light)' : ''}`);
    const sut = await startUnderTest(variant, { nodeArgs: options.childNodeArgs });
    try {
      for (const shape of shapes) await savedRun(sut, warmUpShape(shape), 0);
      for (const shape of shapes) {
        const wall: number[] = [];
        const elapsed: number[] = [];
        const cpu = new Map<string, number[]>();
        for (let at = 1; at <= repeat; at++) {
          collectGarbage();
          const cpuBefore = cpuByProcess(sut);
          const { view, wallMs } = await runOverHttp(sut.baseUrl, shape, 0, 'saved');
          // Before the file check, which runs in the bench's process.
          for (const [name, ms] of Object.entries(cpuByProcess(sut))) {
            cpu.set(name, [...(cpu.get(name) ?? []), ms - cpuBefore[name]]);
          }
          await verifyAndDrop(sut, view, shape);
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
          cpuMs: Object.fromEntries([...cpu].map(([name, ms]) => [name, summarize(ms)])),
        });
      }
    } finally {
      await sut.close();
    }
  }
  return results;
}
