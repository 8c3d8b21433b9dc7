import { shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import { round } from '../stats.js';
import type { Child } from '../../harness/child.js';
import {
  PROCESS_NAMES,
  startUnderTest,
  type SystemUnderTest,
} from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import { savedRun } from './checked-run.js';

export interface MemoryResult {
  readonly variant: string;
  readonly shape: string;
  readonly total: number;
  readonly wallMs: number;
  readonly tasksPerSecond: number;
  /** Resident memory of each process just after start-up (VmRSS), MB. */
  readonly startMB: Record<string, number>;
  /** Peak resident memory of each process over start-up and the run (VmHWM), MB. */
  readonly peakMB: Record<string, number>;
}

/** A figure of each process (`monolith`, or client, server, processor, saver); MB to 0.1. */
function byProcess(sut: SystemUnderTest, figure: (child: Child) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of PROCESS_NAMES) {
    const child = sut.processes.get(name);
    if (child) out[name] = round(figure(child), 1);
  }
  return out;
}

/**
 * Peak RSS of each process of the system, fresh processes for every size (VmHWM only grows). A
 * monolith runs in its own `node dist-bench/src/main.js` process (all four modules) for this.
 */
export async function runMemory(
  variant: SystemVariant,
  shapes: readonly RunShape[],
  log: Log,
  childNodeArgs: readonly string[],
): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const shape of shapes) {
    log.step(`memory: ${variant.name} ${shapeName(shape)}`);
    const sut = await startUnderTest(variant, { nodeArgs: childNodeArgs });
    try {
      const startMB = byProcess(sut, (child) => child.memory().rssMB);
      const { wallMs } = await savedRun(sut, shape, 0);
      const peakMB = byProcess(sut, (child) => child.memory().peakMB);
      const total = totalOf(shape);
      results.push({
        variant: variant.name,
        shape: shapeName(shape),
        total,
        wallMs: Math.round(wallMs),
        tasksPerSecond: Math.round(total / (wallMs / 1000)),
        startMB,
        peakMB,
      });
      log.detail(
        `${shapeName(shape)}: ${JSON.stringify(peakMB)} MB peak, ${Math.round(wallMs)} ms`,
      );
    } finally {
      await sut.close();
    }
  }
  return results;
}
