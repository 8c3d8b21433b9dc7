import { Injectable } from '@nestjs/common';
import type { ResultRefusal } from '../ops/pipeline-metrics.js';

/**
 * What the saver reports as each result goes through a run's pipeline, with `performance.now()`
 * times: when it arrives, leaves the reorder buffer and is in the file. The metrics, a run's
 * report and the benchmark observe the saver through this; each method is optional.
 */
export interface SaverObserver {
  /** A result for `seq`, drawn with `delayMs`, reached the run's pipeline (before the reorder buffer). */
  received?(runId: string, seq: number, delayMs: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 left the reorder buffer; `buffered` results wait behind them. */
  released?(runId: string, firstSeq: number, count: number, buffered: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 are in the file (their append resolved). */
  written?(runId: string, firstSeq: number, count: number, at: number): void;
  /** A result was dropped as a duplicate. */
  duplicate?(runId: string, seq: number): void;
  /** A result was not taken, for `reason` (see `pipeline_results_refused_total`). */
  refused?(runId: string, seq: number, reason: ResultRefusal): void;
  /** The run's file is complete, or the run failed or was cancelled: nothing more comes for it. */
  ended?(runId: string): void;
}

/**
 * The saver's observers, injected where the saver works. With none it costs one length check per
 * event; observers are called in the order they were added, synchronously, and must be quick.
 */
@Injectable()
export class SaverObservers implements Required<SaverObserver> {
  private observers: readonly SaverObserver[] = [];

  /** Adds an observer; the function answered removes it. */
  add(observer: SaverObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((other) => other !== observer);
    };
  }

  get active(): boolean {
    return this.observers.length > 0;
  }

  received(runId: string, seq: number, delayMs: number, at: number): void {
    for (const observer of this.observers) observer.received?.(runId, seq, delayMs, at);
  }

  released(runId: string, firstSeq: number, count: number, buffered: number, at: number): void {
    for (const observer of this.observers)
      observer.released?.(runId, firstSeq, count, buffered, at);
  }

  written(runId: string, firstSeq: number, count: number, at: number): void {
    for (const observer of this.observers) observer.written?.(runId, firstSeq, count, at);
  }

  duplicate(runId: string, seq: number): void {
    for (const observer of this.observers) observer.duplicate?.(runId, seq);
  }

  refused(runId: string, seq: number, reason: ResultRefusal): void {
    for (const observer of this.observers) observer.refused?.(runId, seq, reason);
  }

  ended(runId: string): void {
    for (const observer of this.observers) observer.ended?.(runId);
  }
}
