import { performance } from 'node:perf_hooks';
import type { SaverReport } from '../../common/contracts/messages.js';
import { DoublingHistogram } from '../../common/recording/doubling-histogram.js';
import { DownsampledSeries } from '../../common/recording/downsampled-series.js';
import { LogHistogram } from '../../common/recording/log-histogram.js';
import { SystematicSample } from '../../common/recording/systematic-sample.js';

/** Arrival points kept per run (about 32 KB). */
export const ARRIVAL_POINTS = 2000;
/** Points of the buffer-depth timeline per run (about 24 KB). */
export const TIMELINE_POINTS = 1000;
/** Buckets of the delay histogram. */
export const DELAY_BUCKETS = 50;

/** Observer times are `performance.now()`; reports carry epoch ms, comparable with the client's. */
const epochOf = (at: number): number => performance.timeOrigin + at;

/**
 * What the saver records of one run for its report, in fixed memory except `arrivedAt`: the
 * arrival time of each result held in the reorder buffer, which the buffer itself bounds
 * (REORDER_WINDOW) and which empties as results are released.
 */
export class SaverRunRecording {
  private readonly arrivals = new SystematicSample(ARRIVAL_POINTS);
  private readonly delays = new DoublingHistogram(DELAY_BUCKETS);
  private readonly reorderWait = new LogHistogram();
  private readonly timeline = new DownsampledSeries(
    { buffered: 'max', written: 'last' },
    TIMELINE_POINTS,
  );
  /** Arrival time of each seq received and not yet released. */
  private readonly arrivedAt = new Map<number, number>();
  /** Results received (duplicates included), released in order, and found duplicate: as reported. */
  private readonly counts = { received: 0, released: 0, duplicates: 0 };
  private writtenCount = 0;
  /** The seq after the last one released: anything below it that arrives is a duplicate. */
  private nextSeq = 1;
  /** The latest seq whose arrival started a wait, so that a duplicate verdict can undo it. */
  private lastWaiting = 0;

  constructor(readonly runId: string) {}

  received(seq: number, delayMs: number, at: number): void {
    this.counts.received++;
    this.arrivals.add(seq);
    this.delays.add(delayMs);
    this.lastWaiting = 0;
    if (seq >= this.nextSeq && !this.arrivedAt.has(seq)) {
      this.arrivedAt.set(seq, at);
      this.lastWaiting = seq;
    }
    this.recordLevel(at);
  }

  released(firstSeq: number, count: number, at: number): void {
    for (let seq = firstSeq; seq < firstSeq + count; seq++) {
      const arrived = this.arrivedAt.get(seq);
      if (arrived === undefined) continue;
      this.reorderWait.add(at - arrived);
      this.arrivedAt.delete(seq);
    }
    this.counts.released += count;
    this.nextSeq = firstSeq + count;
    this.recordLevel(at);
  }

  written(count: number, at: number): void {
    this.writtenCount += count;
    this.recordLevel(at);
  }

  /**
   * The pipeline says so right after `received` for the same seq (or, for a run that is over,
   * without it); a seq the recording took for a new arrival (a reopened file's lines are not
   * known here) waits for nothing.
   */
  duplicate(seq: number): void {
    this.counts.duplicates++;
    if (seq === this.lastWaiting) this.arrivedAt.delete(seq);
    this.lastWaiting = 0;
  }

  report(): SaverReport {
    return {
      runId: this.runId,
      known: true,
      ...this.counts,
      arrivals: this.arrivals.toJSON(),
      delays: this.delays.toJSON(),
      reorderWaitMs: this.reorderWait.percentiles(),
      timeline: this.timeline.toJSON(),
    };
  }

  private recordLevel(at: number): void {
    // Results received and not released: what the reorder buffer holds (and the one in hand).
    this.timeline.record(epochOf(at), this.arrivedAt.size, this.writtenCount);
  }
}

/** The report of a run the saver never saw, or forgot. */
export const unknownReport = (runId: string): SaverReport => ({
  runId,
  known: false,
  received: 0,
  released: 0,
  duplicates: 0,
  arrivals: { seen: 0, x: [], y: [] },
  delays: { bucketWidth: 1, counts: [] },
  reorderWaitMs: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 },
  timeline: { t: [], columns: { buffered: [], written: [] } },
});
