import {
  Inject,
  Injectable,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { describeError } from '../common/describe-error.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { Admission } from './admission.js';
import { newRunId } from './run-id.js';
import { RunEvents } from './run-events.js';
import { RunMonitor } from './run-monitor.js';
import { isFinal, Run, type RunShape, type RunState } from './run.js';
import { TaskSender } from './task-sender.js';
import { UnwrittenBudget } from './unwritten-budget.js';

/** Runs kept for `GET /runs` and `GET /runs/:runId`; the oldest ended ones are forgotten first. */
const REMEMBERED_RUNS = 1000;

export interface RunListQuery {
  readonly state?: RunState;
  /** At most this many, newest first. */
  readonly limit: number;
  /** Runs skipped from the newest. */
  readonly offset: number;
}

export interface RunPage {
  readonly runs: Run[];
  /** Runs that match the filter, over every page. */
  readonly total: number;
}

/**
 * Starts runs (through admission control), keeps them from the request until the last line is on
 * disk, lists and cancels them.
 */
@Injectable()
export class RunsService implements BeforeApplicationShutdown {
  /** In creation order: the newest last. */
  private readonly runs = new Map<string, Run>();
  private readonly active = new Set<Promise<void>>();
  private readonly admission: Admission<Run>;
  /** Tasks sent and not yet written over every run (`MAX_UNWRITTEN_TASKS`). */
  readonly unwritten: UnwrittenBudget;
  private stopping = false;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly sender: TaskSender,
    private readonly monitor: RunMonitor,
    private readonly events: RunEvents,
  ) {
    this.unwritten = new UnwrittenBudget(settings.maxUnwrittenTasks);
    this.admission = new Admission<Run>(settings.admission, (run) => this.launch(run));
  }

  /**
   * Creates a run and admits it, or queues it (state `queued`) when it does not fit beside the
   * active runs. Throws `TooManyRunsException` (429) when the queue is full, 503 when stopping.
   */
  start(shape: RunShape): Run {
    if (this.stopping) throw new ServiceUnavailableException('shutting down: no new runs');
    const runId = newRunId();
    const run = new Run(runId, shape, join(this.settings.outputDir, `${runId}.jsonl`), {
      reorderWindow: this.settings.reorderWindow,
      budget: this.unwritten,
      publish: (event) => this.events.publish(event),
    });
    this.admission.offer(run);
    this.remember(run);
    return run;
  }

  find(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  list(query: RunListQuery): RunPage {
    const matching = [...this.runs.values()]
      .reverse()
      .filter((run) => query.state === undefined || run.current === query.state);
    return {
      runs: matching.slice(query.offset, query.offset + query.limit),
      total: matching.length,
    };
  }

  /** Cancels a run: it sends nothing more and the saver closes its file. Undefined if unknown. */
  async cancel(runId: string): Promise<Run | undefined> {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const wasQueued = this.admission.withdraw(run);
    if (run.cancel() && !wasQueued) await this.monitor.closeAtSaver(run);
    return run;
  }

  /**
   * Stops at once: no new run, no new task leaves; queued runs end `cancelled`, running ones
   * `interrupted` (what was sent goes on to the file). Waits for their senders to let go, within
   * the shutdown bound.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const run of this.admission.drain())
      run.cancel('the client stopped before the run started');
    for (const run of this.runs.values()) {
      if (!isFinal(run.current)) {
        run.interrupt(
          `the client stopped; ${run.view().written} of ${run.total} line(s) were on disk then`,
        );
      }
    }
    if (this.active.size === 0) return;
    await Promise.race([
      Promise.all(this.active),
      sleep(this.settings.shutdownTimeoutMs, undefined, { ref: false }),
    ]);
  }

  private launch(run: Run): void {
    run.admit();
    const work = this.drive(run).finally(() => {
      this.active.delete(work);
      this.admission.release(run);
    });
    this.active.add(work);
  }

  private async drive(run: Run): Promise<void> {
    const connections = this.sender.open(run);
    try {
      // Followed from the first task: the saver's progress opens the send window (REORDER_WINDOW),
      // and a saver that cannot be reached fails the run within its bound.
      const following = this.monitor.follow(run, connections);
      await this.sender.sendRun(run, connections);
      run.sendingDone();
      await following;
    } catch (error) {
      run.fail(describeError(error));
    } finally {
      await connections.close();
    }
  }

  private remember(run: Run): void {
    this.runs.set(run.runId, run);
    if (this.runs.size <= REMEMBERED_RUNS) return;
    for (const [runId, old] of this.runs) {
      if (isFinal(old.current)) {
        this.runs.delete(runId);
        return;
      }
    }
  }
}
