import { isFinal, type RunProgress } from '../../common/contracts/http.js';
import { Injectable, type MessageEvent } from '@nestjs/common';
import {
  auditTime,
  concat,
  defer,
  filter,
  interval,
  map,
  merge,
  of,
  startWith,
  take,
  takeUntil,
  type Observable,
} from 'rxjs';
import { RunEvents } from '../run-events.js';
import { type Run } from '../run.js';
import { END_EVENT_ID } from './event-ids.js';

/** At most one progress event per this interval: about four a second, whatever the run's rate. */
export const PROGRESS_INTERVAL_MS = 250;
/** A run where nothing moves (queued, or waiting for long delays) still reports this often. */
const QUIET_INTERVAL_MS = 1000;
/**
 * `retry` of the `end` event: an EventSource reconnects after a stream closes, and its reconnection
 * (with `Last-Event-ID: end`) gets 204 and stops it, this soon rather than after its default 3 s.
 */
export const END_RETRY_MS = 100;

/**
 * A run's live progress from `RunEvents`, sampled: the latest state at most every
 * PROGRESS_INTERVAL_MS, then one `end` event once the run's state is final, then completion.
 * Progress events are numbered from `firstNumber` (see event-ids.ts); `end` has END_EVENT_ID.
 * A subscriber that leaves unsubscribes from the run's events; the run does not notice.
 */
@Injectable()
export class ProgressStream {
  constructor(private readonly events: RunEvents) {}

  of(run: Run, firstNumber = 1): Observable<MessageEvent> {
    return defer(() => {
      let number = firstNumber;
      const rates = new RateMeter(run);
      const runEvents$ = this.events.of(run.runId);
      // Checked at once too: a run that ended before this subscription answers `end` at once.
      const ended$ = runEvents$.pipe(
        startWith(undefined),
        filter(() => isFinal(run.current)),
        take(1),
      );
      const progress$ = merge(runEvents$, interval(QUIET_INTERVAL_MS)).pipe(
        auditTime(PROGRESS_INTERVAL_MS),
        takeUntil(ended$),
        map((): MessageEvent => ({ type: 'progress', id: String(number++), data: rates.next() })),
      );
      return concat(
        progress$,
        defer(() =>
          of<MessageEvent>({
            type: 'end',
            id: END_EVENT_ID,
            retry: END_RETRY_MS,
            data: rates.next(),
          }),
        ),
      );
    });
  }
}

/** The run's progress with its rates since the previous reading. */
class RateMeter {
  private at = Date.now();
  private acked = 0;
  private written = 0;

  constructor(private readonly run: Run) {
    const view = run.view();
    this.acked = view.acked;
    this.written = view.written;
  }

  next(): RunProgress {
    const view = this.run.view();
    const now = Date.now();
    const seconds = Math.max(now - this.at, 1) / 1000;
    const progress: RunProgress = {
      runId: view.runId,
      state: view.state,
      total: view.total,
      sent: view.sent,
      acked: view.acked,
      failed: view.failed,
      resent: view.resent,
      written: view.written,
      waitingFor: view.waitingFor,
      buffered: view.buffered,
      duplicates: view.duplicates,
      elapsedMs: view.elapsedMs,
      ackRate: Math.round((view.acked - this.acked) / seconds),
      writeRate: Math.round((view.written - this.written) / seconds),
      ...(view.error === undefined ? {} : { error: view.error }),
    };
    this.at = now;
    this.acked = view.acked;
    this.written = view.written;
    return progress;
  }
}
