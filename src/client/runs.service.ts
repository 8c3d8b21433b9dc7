import { isFinal, type RunShape, type RunState } from '../common/contracts/http.js';
import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { describeError } from '../common/describe-error.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { plural } from '../common/plural.js';
import { Admission, type TooManyRunsException } from './admission.js';
import { ClientStoppingException } from './retry-later.js';
import { RunJournal, type JournaledRun } from './journal/run-journal.js';
import { newSeed } from './journal/task-value.js';
import { RunRecorder } from './report/run-recorder.js';
import { newRunId } from './run-id.js';
import { RunEvents } from './run-events.js';
import { RunMonitor } from './run-monitor.js';
import { Run, type RunPast } from './run.js';
import { TaskSender } from './task-sender.js';
import { UnwrittenBudget } from './unwritten-budget.js';

const DAY_MS = 86_400_000;
/** At a stop, the saver is asked what is on disk for this long at most. */
const ASK_SAVER_AT_STOP_MS = 2000;
/** Said of a run a stop ended: the journal keeps it unfinished. */
const RESUMES = '; it resumes when the client starts again';

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
 * disk, lists and cancels them. Every run is in the journal (`RunJournal`): a client that starts
 * takes back the history and resumes the runs an earlier life left unfinished.
 */
@Injectable()
export class RunsService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(RunsService.name);
  /** What the journal held at start, until the runs are restored. */
  private journaled: JournaledRun[] = [];
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
    private readonly journal: RunJournal,
    private readonly recorder: RunRecorder,
  ) {
    this.unwritten = new UnwrittenBudget(settings.maxUnwrittenTasks);
    this.admission = new Admission<Run>(settings.admission, (run) => this.launch(run));
  }

  /** Takes the folder and reads the journal back (a client already on it: start-up fails). */
  async onModuleInit(): Promise<void> {
    this.journaled = await this.journal.open();
  }

  /**
   * Restores what an earlier life left: ended runs as history; unfinished ones resumed (admitted
   * ones first, then the queue, each in the order they came) or, with RESUME_RUNS=off, ended
   * `interrupted`.
   */
  onApplicationBootstrap(): void {
    const now = Date.now();
    const sending: Run[] = [];
    const queued: Run[] = [];
    for (const past of this.journaled) {
      if (past.ended) {
        this.runs.set(past.runId, Run.ended(past.ended, past.seed, past.createdAt));
        continue;
      }
      const restarts = past.restarts + 1;
      const run = this.newRun(past.runId, past.shape, past.seed, {
        createdAt: past.createdAt,
        restarts,
        resumedAt: now,
        ...(past.tasks === undefined ? {} : { tasks: past.tasks }),
      });
      this.journal.adopt(run, past);
      this.journal.resumed(run, restarts, now);
      this.runs.set(run.runId, run);
      (past.admitted ? sending : queued).push(run);
    }
    this.journaled = [];
    this.retain();
    const unfinished = [...sending, ...queued];
    if (unfinished.length === 0) return;
    if (this.settings.state.resume === 'off') {
      for (const run of unfinished) run.interrupt('the client restarted with RESUME_RUNS=off');
      this.logger.warn(
        `${plural(unfinished.length, 'unfinished run')} ended interrupted (RESUME_RUNS=off)`,
      );
      return;
    }
    for (const run of unfinished) this.admission.offer(run, 'taken');
    this.logger.log(
      `resuming ${plural(sending.length, 'run')} an earlier life had started` +
        (queued.length > 0 ? `; ${plural(queued.length, 'run')} queued again` : ''),
    );
  }

  /**
   * Creates a run, journals it and admits it, or queues it (state `queued`) when it does not fit
   * beside the active runs. Throws `TooManyRunsException` (429) when the queue is full, 503 when
   * stopping or when the run could not be journaled (the reason named).
   */
  async start(shape: RunShape): Promise<Run> {
    if (this.stopping) throw new ClientStoppingException('shutting down: no new runs');
    const run = this.newRun(newRunId(), shape, newSeed());
    this.admission.reserve(run);
    try {
      await this.journal.accepted(run, run.seed);
    } catch (error) {
      this.admission.unreserve();
      this.journal.forget(run.runId);
      throw new ServiceUnavailableException(
        `the run could not be journaled: ${describeError(error)}`,
      );
    }
    if (this.stopping) {
      this.admission.unreserve();
      if (!this.journal.enabled) throw new ClientStoppingException('shutting down: no new runs');
      // Journaled while the client began to stop: the next life runs it.
      this.remember(run);
      run.cancel(`the client stopped before the run started${RESUMES}`);
      return run;
    }
    this.remember(run);
    this.admission.offer(run, 'reserved');
    return run;
  }

  /**
   * The refusal a request to start a run gets now whatever it asks (the queue is full), or
   * undefined: read before the request is, so that a flood is refused for next to nothing.
   */
  refusalForAnyRun(): TooManyRunsException | undefined {
    return this.admission.refusesEveryRun ? this.admission.queueFull() : undefined;
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
   * Stops at once: no new run, no new task leaves; running runs end `interrupted` (what was sent
   * goes on to the file). Waits for their senders to let go, within the shutdown bound. The journal
   * keeps them, and the queued ones, unfinished: the next start on this STATE_DIR resumes them.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const resumable = this.journal.enabled ? RESUMES : '';
    for (const run of this.admission.drain())
      run.cancel(`the client stopped before the run started${resumable}`);
    // A waiting request is answered with what is on disk now, asked from the saver (bounded).
    const running = [...this.runs.values()].filter((run) => !isFinal(run.current));
    const askMs = Math.min(ASK_SAVER_AT_STOP_MS, this.settings.shutdownTimeoutMs / 4);
    const onDisk = await Promise.all(running.map((run) => this.monitor.writtenNow(run, askMs)));
    running.forEach((run, at) => {
      const lines = onDisk[at];
      const known =
        lines === undefined
          ? `the saver did not answer; ${run.view().written} of ${run.total} line(s) were on disk at its last word`
          : `${lines} of ${run.total} line(s) were on disk then`;
      run.interrupt(`the client stopped; ${known}${resumable}`);
    });
    if (this.active.size > 0) {
      await Promise.race([
        Promise.all(this.active),
        sleep(this.settings.shutdownTimeoutMs, undefined, { ref: false }),
      ]);
    }
    await this.journal.close();
  }

  private newRun(runId: string, shape: RunShape, seed: number, past?: RunPast): Run {
    const run = new Run(runId, shape, join(this.settings.outputDir, `${runId}.jsonl`), {
      reorderWindow: this.settings.reorderWindow,
      seed,
      budget: this.unwritten,
      publish: (event) => this.events.publish(event),
      ...(past === undefined ? {} : { past }),
    });
    // Its end joins the history; one at a stop does not: the next start resumes the run.
    void run.settled.then(async () => {
      if (this.stopping) return;
      const recording = this.recorder.recording(runId);
      await this.journal.ended(
        run,
        recording && { ackMs: recording.ackMs, progress: recording.progress },
      );
    });
    return run;
  }

  private launch(run: Run): void {
    run.admit();
    this.journal.admitted(run);
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
      // A resumed run first sends again what the saver lacks of the seqs it had taken.
      await this.sender.sendRun(run, connections, () =>
        run.resumed ? this.monitor.sendAgainAfterRestart(run, connections) : Promise.resolve(),
      );
      run.sendingDone();
      await following;
    } catch (error) {
      run.fail(describeError(error));
    } finally {
      await connections.close();
    }
  }

  /** Keeps the history within RUN_HISTORY_MAX and RUN_HISTORY_DAYS, in memory and in the journal. */
  private remember(run: Run): void {
    this.runs.set(run.runId, run);
    this.retain();
  }

  private retain(): void {
    for (const runId of beyondRetention(this.runs.values(), this.settings.state, Date.now())) {
      this.runs.delete(runId);
      this.journal.forget(runId);
    }
  }
}

/**
 * The ended runs that leave the history: the oldest first while there are more than `historyMax`
 * runs, and every one older than `historyDays` days (0: no age limit). Runs that have not ended
 * always stay. `runs` come oldest first.
 */
export function beyondRetention(
  runs: Iterable<Pick<Run, 'runId' | 'createdAt' | 'current'>>,
  limits: { readonly historyMax: number; readonly historyDays: number },
  now: number,
): string[] {
  const all = [...runs];
  const cutoff = limits.historyDays > 0 ? now - limits.historyDays * DAY_MS : -Infinity;
  let excess = all.length - limits.historyMax;
  const gone: string[] = [];
  for (const run of all) {
    if (excess <= 0 && run.createdAt >= cutoff) continue;
    if (!isFinal(run.current)) continue;
    gone.push(run.runId);
    excess--;
  }
  return gone;
}
