import type { SaverReport } from './messages.js';
import type { SeriesPoints } from '../recording/downsampled-series.js';
import type { Percentiles } from '../recording/log-histogram.js';

/*
 * What the client's HTTP API answers, declared once for whoever reads it: the client module that
 * answers, the CLI, the tests and the bench (the OpenAPI DTOs are checked against these).
 */

/**
 * `queued` → `sending` → `saving` → `completed`, or an end before that: `failed` (with `error`),
 * `cancelled` (by `DELETE /runs/:runId`) or `interrupted` (the client stopped; what was sent goes
 * on to the file, and `written` tells what is on disk).
 */
export const RUN_STATES = [
  'queued',
  'sending',
  'saving',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type RunState = (typeof RUN_STATES)[number];

const FINAL_STATES: ReadonlySet<RunState> = new Set([
  'completed',
  'failed',
  'cancelled',
  'interrupted',
]);
export const isFinal = (state: RunState): boolean => FINAL_STATES.has(state);

export interface RunShape {
  readonly connectionCount: number;
  readonly connectionValue: number;
  readonly delayRange: number;
}

/** What `GET /`, `POST /runs` and `GET /runs/:runId` answer. */
export interface RunView extends RunShape {
  readonly runId: string;
  readonly total: number;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly resent: number;
  /** Repair rounds so far (each asks the saver what it lacks and sends that again). */
  readonly repairRounds: number;
  readonly written: number;
  readonly state: RunState;
  readonly file: string;
  readonly elapsedMs: number;
  /** From the saver: the seq the file waits for, results held for it, and for how long. */
  readonly waitingFor: number;
  readonly buffered: number;
  readonly duplicates: number;
  readonly stalledMs: number;
  /** Why the run failed, was cancelled or interrupted. */
  readonly error?: string;
  /** The latest failure on the way (a peer or broker that did not answer), even if it recovered. */
  readonly lastError?: string;
  /** Starts of the client that found the run unfinished and resumed it (0: none). */
  readonly restarts: number;
  /** When it was last resumed (epoch ms). */
  readonly resumedAt?: number;
}

/** One event of `GET /runs/:runId/events`: `progress` about four times a second, then `end`. */
export type ProgressEventType = 'progress' | 'end';

/** What a progress event carries (the run's counters as `GET /runs/:runId` shows them, and rates). */
export interface RunProgress {
  readonly runId: string;
  readonly state: RunState;
  readonly total: number;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly resent: number;
  readonly written: number;
  readonly waitingFor: number;
  readonly buffered: number;
  readonly duplicates: number;
  readonly elapsedMs: number;
  /** Tasks acknowledged, and lines written, per second over the interval since the last event. */
  readonly ackRate: number;
  readonly writeRate: number;
  /** Why the run failed, was cancelled or interrupted (in the `end` event). */
  readonly error?: string;
}

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
