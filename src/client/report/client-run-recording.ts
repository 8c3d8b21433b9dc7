import { DownsampledSeries, type SeriesPoints } from '../../common/recording/downsampled-series.js';
import { LogHistogram, type Percentiles } from '../../common/recording/log-histogram.js';
import type { RunEvent } from '../run-events.js';

/** Points of a run's progress timeline (4 columns: 40 KB). */
export const PROGRESS_POINTS = 1000;

/** What the client records of one run for its report, in fixed memory (about 42 KB). */
export class ClientRunRecording {
  private readonly timeline = new DownsampledSeries(
    { sent: 'last', acked: 'last', written: 'last', failed: 'last' },
    PROGRESS_POINTS,
  );
  private readonly ackLatency = new LogHistogram();

  constructor(readonly runId: string) {}

  observe({ run, kind }: RunEvent): void {
    if (kind === 'acked') this.ackLatency.add(run.lastAckMs);
    const now = Date.now();
    // A task's event opens a point at most once per step; the saver's view and a new state
    // (rare) always land, so the timeline ends on the run's final figures.
    if (kind === 'saver' || kind === 'state' || this.timeline.opensPoint(now)) {
      const view = run.view();
      this.timeline.record(now, view.sent, view.acked, view.written, view.failed);
    }
  }

  get ackMs(): Percentiles {
    return this.ackLatency.percentiles();
  }

  get progress(): SeriesPoints {
    return this.timeline.toJSON();
  }
}
