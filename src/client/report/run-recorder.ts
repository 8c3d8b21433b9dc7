import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { RunEvents } from '../run-events.js';
import { ClientRunRecording } from './client-run-recording.js';
import { RecentRuns } from '../../common/recording/recent-runs.js';

/** Runs whose recording is kept; the one created first is forgotten first. */
export const RECORDED_RUNS = 100;

/**
 * Records every run's progress over time and its acknowledgement latency from `RunEvents`, for
 * the report. Bounded: RECORDED_RUNS runs of fixed size each (`ClientRunRecording`).
 */
@Injectable()
export class RunRecorder implements OnModuleDestroy {
  private readonly runs = new RecentRuns(RECORDED_RUNS, (runId) => new ClientRunRecording(runId));
  private readonly subscription: Subscription;

  constructor(events: RunEvents) {
    this.subscription = events.all$.subscribe((event) =>
      this.runs.of(event.run.runId).observe(event),
    );
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  recording(runId: string): ClientRunRecording | undefined {
    return this.runs.get(runId);
  }
}
