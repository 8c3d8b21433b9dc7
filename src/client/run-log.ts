import { isFinal } from '../common/contracts/http.js';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { plural } from '../common/plural.js';
import { RunEvents } from './run-events.js';
import { type Run } from './run.js';

/** A running run says how far it is at most this often (and at least, while it runs). */
export const PROGRESS_EVERY_MS = 5000;

interface Followed {
  readonly timer: NodeJS.Timeout;
  lastAt: number;
  lastWritten: number;
}

/**
 * The operator's view of each run in the log, read from `RunEvents`: a line when it starts, one
 * every PROGRESS_EVERY_MS while it runs (sent, acknowledged, written, rate), and one when it
 * ends, with its throughput and its file.
 */
@Injectable()
export class RunLog implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Run');
  private readonly followed = new Map<Run, Followed>();
  private subscription?: Subscription;

  constructor(private readonly events: RunEvents) {}

  onModuleInit(): void {
    this.subscription = this.events.all$.subscribe(({ kind, run }) => {
      if (kind !== 'state') return;
      if (run.current === 'sending') this.started(run);
      else if (isFinal(run.current)) this.ended(run);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    for (const { timer } of this.followed.values()) clearInterval(timer);
    this.followed.clear();
  }

  private started(run: Run): void {
    const { connectionCount, connectionValue, delayRange } = run.shape;
    const { restarts } = run.view();
    const how =
      restarts > 0
        ? `resumed (restart ${restarts}, ${plural(run.sent, 'task')} sent before)`
        : 'started';
    this.logger.log(
      `run ${run.runId} ${how}: ${connectionCount}×${connectionValue} = ${plural(run.total, 'task')}, delay_range ${delayRange} s`,
    );
    const timer = setInterval(() => this.progress(run), PROGRESS_EVERY_MS);
    timer.unref();
    this.followed.set(run, { timer, lastAt: Date.now(), lastWritten: 0 });
  }

  private progress(run: Run): void {
    const followed = this.followed.get(run);
    if (!followed) return;
    const view = run.view();
    const now = Date.now();
    const rate =
      ((view.written - followed.lastWritten) * 1000) / Math.max(1, now - followed.lastAt);
    followed.lastAt = now;
    followed.lastWritten = view.written;
    this.logger.log(
      `run ${run.runId} ${view.state}: sent ${view.sent}/${view.total}, acked ${view.acked}, ` +
        `written ${view.written} (${Math.round(rate)} lines/s)` +
        (view.buffered > 0
          ? `, waiting for seq ${view.waitingFor} with ${view.buffered} held`
          : ''),
    );
  }

  private ended(run: Run): void {
    const followed = this.followed.get(run);
    if (followed) clearInterval(followed.timer);
    this.followed.delete(run);
    const view = run.view();
    const seconds = view.elapsedMs / 1000;
    const throughput = Math.round(view.written / Math.max(seconds, 0.001));
    const line =
      `run ${run.runId} ${view.state} in ${seconds.toFixed(1)} s: ${plural(view.written, 'line')} of ${view.total} ` +
      `written (${throughput} tasks/s) to ${view.file}` +
      (view.failed > 0 ? `; ${plural(view.failed, 'task')} given up on` : '') +
      (view.error === undefined ? '' : `; ${view.error}`);
    if (view.state === 'completed') this.logger.log(line);
    else this.logger.warn(line);
  }
}
