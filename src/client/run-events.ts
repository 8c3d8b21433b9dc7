import { Injectable } from '@nestjs/common';
import { filter, Subject, type Observable } from 'rxjs';
import type { Run } from './run.js';

/**
 * What changed in a run. Per-task kinds (`sent`, `acked`, `failed`, `resent`) come once per task;
 * the others when the saver's view, the repair or the state moved. The details are read from the
 * run itself (`run.view()`, `run.lastAckMs`), so an event is one shared object per run and kind:
 * publishing costs no allocation on the hot path.
 */
export type RunEventKind = 'sent' | 'acked' | 'failed' | 'resent' | 'saver' | 'repair' | 'state';

export interface RunEvent {
  readonly run: Run;
  readonly kind: RunEventKind;
}

/**
 * The one place where the client's progress is observed: every `Run` publishes here, and the
 * HTTP views, the metrics, the logs and the live progress all read this stream.
 */
@Injectable()
export class RunEvents {
  private readonly subject = new Subject<RunEvent>();
  readonly all$: Observable<RunEvent> = this.subject.asObservable();

  publish(event: RunEvent): void {
    this.subject.next(event);
  }

  /** The events of one run. */
  of(runId: string): Observable<RunEvent> {
    return this.all$.pipe(filter((event) => event.run.runId === runId));
  }
}
