import { performance } from 'node:perf_hooks';
import { percentiles, finiteFrom, type Percentiles } from './stats.js';

/**
 * The timing hook the bench asks of src/saver (see bench/README.md): a process-wide probe, set by
 * `setSaverProbe` exported from `src/saver/saver-probe.ts`, called with performance.now() times.
 */
export interface SaverProbe {
  /** A result for `seq` reached the run's pipeline (before the reorder buffer). */
  received(runId: string, seq: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 left the reorder buffer. */
  released(runId: string, firstSeq: number, count: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 are in the file (their append resolved). */
  written(runId: string, firstSeq: number, count: number, at: number): void;
}

type SetSaverProbe = (probe: SaverProbe | undefined) => void;

/** The hook, when this build of src/ has it (an in-process monolith only). */
export async function findSaverProbeHook(): Promise<SetSaverProbe | undefined> {
  // A computed specifier: the bench must compile whether or not src/ has the hook yet.
  const specifier = new URL('../src/saver/saver-probe.js', import.meta.url).href;
  try {
    const module = (await import(specifier)) as { setSaverProbe?: unknown };
    return typeof module.setSaverProbe === 'function'
      ? (module.setSaverProbe as SetSaverProbe)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Records one run's times from the probe; other runs are ignored. */
export class ProbeRecording implements SaverProbe {
  private readonly receivedAt: Float64Array;
  private readonly releasedAt: Float64Array;
  private readonly writtenAt: Float64Array;

  constructor(
    private readonly runId: string,
    total: number,
  ) {
    this.receivedAt = new Float64Array(total + 1).fill(NaN);
    this.releasedAt = new Float64Array(total + 1).fill(NaN);
    this.writtenAt = new Float64Array(total + 1).fill(NaN);
  }

  received(runId: string, seq: number, at: number): void {
    if (runId === this.runId && Number.isNaN(this.receivedAt[seq])) this.receivedAt[seq] = at;
  }

  released(runId: string, firstSeq: number, count: number, at: number): void {
    if (runId === this.runId) this.releasedAt.fill(at, firstSeq, firstSeq + count);
  }

  written(runId: string, firstSeq: number, count: number, at: number): void {
    if (runId === this.runId) this.writtenAt.fill(at, firstSeq, firstSeq + count);
  }

  /**
   * Processor → saver: receipt at the saver − processedAt from the file (epoch ms; the probe's
   * performance.now() times are put on the same clock through performance.timeOrigin).
   */
  handOff(processedAt: Float64Array): Percentiles {
    const lags = new Float64Array(processedAt.length);
    for (let seq = 1; seq < lags.length; seq++) {
      lags[seq] = performance.timeOrigin + this.receivedAt[seq] - processedAt[seq];
    }
    return percentiles(finiteFrom(lags, 1));
  }

  /** Time a result waited for an earlier seq: release − receipt. */
  reorderWait(): Percentiles {
    return percentiles(finiteFrom(difference(this.releasedAt, this.receivedAt), 1));
  }

  /** Time from release to the line being in the file: written − release. */
  writeLag(): Percentiles {
    return percentiles(finiteFrom(difference(this.writtenAt, this.releasedAt), 1));
  }
}

function difference(later: Float64Array, earlier: Float64Array): Float64Array {
  const out = new Float64Array(later.length);
  for (let i = 0; i < later.length; i++) out[i] = later[i] - earlier[i];
  return out;
}
