import type { RunState } from '../run.js';

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
