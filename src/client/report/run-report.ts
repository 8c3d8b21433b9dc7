import type { SaverReport } from '../../common/contracts/messages.js';
import type { SeriesPoints } from '../../common/recording/downsampled-series.js';
import type { Percentiles } from '../../common/recording/log-histogram.js';
import type { RunState, RunView } from '../run.js';

/** The figures a run ends with: the CLI's summary and thresholds, the report page's table. */
export interface RunSummary {
  readonly runId: string;
  readonly state: RunState;
  readonly file: string;
  readonly tasks: number;
  readonly written: number;
  readonly durationS: number;
  /** Lines written per second of the run's duration. */
  readonly tasksPerSecond: number;
  /** From send to acknowledgement, at the client. */
  readonly ackMs: Percentiles;
  /** From arrival at the saver to release from its reorder buffer (zeros if the saver did not say). */
  readonly reorderWaitMs: Percentiles;
  readonly duplicates: number;
  readonly resent: number;
  readonly failed: number;
}

/** `GET /runs/:runId/report.json`: what the report page draws. Times are epoch ms. */
export interface RunReport {
  readonly run: RunView;
  /** When the run was created (epoch ms): the charts count seconds from here. */
  readonly startedAt: number;
  readonly summary: RunSummary;
  /** Sent, acked and written over time, as the client saw them. */
  readonly progress: SeriesPoints;
  /** What the saver recorded; null when it could not be asked (`saverError` says why). */
  readonly saver: SaverReport | null;
  readonly saverError?: string;
}

const NO_PERCENTILES: Percentiles = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };

export function summarize(run: RunView, ackMs: Percentiles, saver: SaverReport | null): RunSummary {
  const durationS = run.elapsedMs / 1000;
  return {
    runId: run.runId,
    state: run.state,
    file: run.file,
    tasks: run.total,
    written: run.written,
    durationS,
    tasksPerSecond: durationS > 0 ? Math.round(run.written / durationS) : 0,
    ackMs,
    reorderWaitMs: saver?.reorderWaitMs ?? NO_PERCENTILES,
    duplicates: run.duplicates,
    resent: run.resent,
    failed: run.failed,
  };
}
