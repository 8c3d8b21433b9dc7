import { performance } from 'node:perf_hooks';
import type { SaverObserver } from '../src/saver/saver-observers.js';
import { percentiles, finiteFrom, type Percentiles } from './stats.js';
import type { SystemUnderTest } from './systems/system-under-test.js';

/** Sets (or, with undefined, removes) the one probe the bench keeps on a saver. */
type SetSaverProbe = (probe: SaverObserver | undefined) => void;

/** The saver's observers of an in-process system (the monolith), as a one-probe setter. */
export function saverProbeHook(sut: SystemUnderTest): SetSaverProbe | undefined {
  const observers = sut.saverObservers;
  if (!observers) return undefined;
  let remove: (() => void) | undefined;
  return (probe) => {
    remove?.();
    remove = probe ? observers.add(probe) : undefined;
  };
}

/** Records one run's times from the probe; other runs are ignored. */
export class ProbeRecording implements SaverObserver {
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

  received(runId: string, seq: number, _delayMs: number, at: number): void {
    if (runId === this.runId && Number.isNaN(this.receivedAt[seq])) this.receivedAt[seq] = at;
  }

  released(runId: string, firstSeq: number, count: number, _buffered: number, at: number): void {
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
