import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { RunEvents } from '../run-events.js';
import { ClientRunRecording } from './client-run-recording.js';

/** Runs whose recording is kept; the one created first is forgotten first. */
export const RECORDED_RUNS = 100;

/**
 * Records every run's progress over time and its acknowledgement latency from `RunEvents`, for
 * the report. Bounded: RECORDED_RUNS runs of fixed size each (`ClientRunRecording`).
 */
@Injectable()
export class RunRecorder implements OnModuleDestroy {
  private readonly runs = new Map<string, ClientRunRecording>();
  private latest?: ClientRunRecording;
  private readonly subscription: Subscription;

  constructor(events: RunEvents) {
    this.subscription = events.all$.subscribe((event) => this.of(event.run.runId).observe(event));
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  recording(runId: string): ClientRunRecording | undefined {
    return this.runs.get(runId);
  }

  private of(runId: string): ClientRunRecording {
    // Events come in bursts for one run: most of them skip the map.
    if (this.latest?.runId === runId) return this.latest;
    let recording = this.runs.get(runId);
    if (!recording) {
      recording = new ClientRunRecording(runId);
      this.runs.set(runId, recording);
      if (this.runs.size > RECORDED_RUNS) this.runs.delete(this.runs.keys().next().value as string);
    }
    this.latest = recording;
    return recording;
  }
}
