import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type {
  Result,
  ResultReceipt,
  SaverRunRef,
  SaverStatus,
  SaverStatusQuery,
} from '../common/contracts/messages.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { describeError } from '../common/describe-error.js';
import { plural } from '../common/plural.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { refuseForNow } from '../common/delivery/refusal.js';
import type { ResultRefusal } from '../ops/pipeline-metrics.js';
import { HeldResults } from './held-results.js';
import { toLine } from './result-line.js';
import { RunPipeline, runFilePath, type PipelineOptions } from './run-pipeline.js';
import { countWholeLines } from './run-file.js';
import { SaverObservers } from './saver-observers.js';

/** Ended runs (completed, failed, cancelled) whose status is kept; older ones are read from their file. */
const REMEMBERED_ENDED_RUNS = 1000;
const DEFAULT_MISSING_LIMIT = 10_000;

/**
 * Owns one `RunPipeline` per open run. A run is opened by its client (`saver.open`) or, after a
 * restart, by a result for a run whose file is on disk; a status query never opens anything, and
 * a result for a run it has never heard of is refused. At most SAVER_MAX_OPEN_RUNS files
 * are open: the run that received nothing for longest is closed first, and reopens from its file.
 */
@Injectable()
export class SaverService implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(SaverService.name);
  private readonly runs = new Map<string, Promise<RunPipeline>>();
  /** Pipelines whose file is open now. */
  private readonly opened = new Map<string, RunPipeline>();
  /** Opens one file at a time, each after making room for it. */
  private opening: Promise<unknown> = Promise.resolve();
  private readonly ended = new Map<string, SaverStatus>();
  private readonly options: PipelineOptions;
  private readonly observers: SaverObservers;
  private readonly held: HeldResults;
  private readonly idleMs: number;
  private readonly maxOpenRuns: number;
  private readonly sweeper: NodeJS.Timeout;
  private stopping = false;
  /** One throttled warning per reason, so that a flood of one kind hides no other. */
  private readonly refusalLogs = new Map<ResultRefusal, ThrottledLog>();

  constructor(@Inject(SETTINGS) settings: Settings, observers: SaverObservers) {
    this.held = new HeldResults(settings.saver.maxHeld);
    this.observers = observers;
    this.options = {
      outputDir: settings.outputDir,
      reorderWindow: settings.reorderWindow,
      observers,
      held: this.held,
      sharedFiles: settings.savers.failover,
      ...settings.saver,
    };
    this.idleMs = settings.saver.idleMs;
    this.maxOpenRuns = settings.saver.maxOpenRuns;
    // A run whose client went away would hold its file, timer and held results for ever.
    this.sweeper = setInterval(() => void this.closeIdleRuns(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** Run files open now, for the metrics and the tests. */
  get openRuns(): number {
    return this.opened.size;
  }

  /** Results held behind a gap over every run now, for the metrics and the tests. */
  get heldResults(): number {
    return this.held.held;
  }

  /** Closes runs that received nothing for SAVER_IDLE_MS; a later message reopens them from the file. */
  async closeIdleRuns(): Promise<void> {
    for (const [runId, opening] of this.runs) {
      const run = await opening.catch(() => undefined);
      if (!run || run.completed || run.idleMs < this.idleMs) continue;
      this.logger.warn(`run ${runId}: nothing received for ${run.idleMs} ms; closing its file`);
      // The entry stays until the file is closed (then `settle` drops it): a message meanwhile
      // meets the closing pipeline and waits for it, never a second writer on the same file.
      await run.close();
    }
  }

  /** Opens (creates) the run's file; the client does this before it sends the run's first task. */
  async open(query: SaverRunRef): Promise<SaverStatus> {
    const ended = this.endedStatus(query.runId, query.total);
    if (ended) return ended;
    const run = await this.current(query.runId, query.total, 'open');
    return run.status(0);
  }

  /**
   * Takes one result. Every result not taken is reported to the observers with its reason and
   * logged (throttled): a plain sender whose run was never opened here learns nothing else.
   */
  async accept(result: Result): Promise<ResultReceipt> {
    const ended = this.endedStatus(result.runId, result.total);
    // Its line is in the file already: a copy sent again after a timeout, dropped quietly.
    if (ended?.state === 'completed') {
      this.observers.refused(result.runId, result.seq, 'run_completed');
      return { accepted: false };
    }
    if (ended)
      throw this.refuse(result, 'run_ended', `run ${result.runId} is ${ended.state} at the saver`);
    const run = await this.current(result.runId, result.total, 'if-on-disk').catch(
      (error: unknown) => {
        // Stopping (refused for now), or a file that cannot be opened, or another total.
        this.report(result, this.stopping ? 'saver_stopping' : 'run_unusable', describe(error));
        throw error;
      },
    );
    // Never opened by its client and no file on disk: nothing to write it to, now or later.
    if (!run)
      throw this.refuse(result, 'run_not_open', `run ${result.runId} is not open at the saver`);
    const outcome = run.push(result.seq, toLine(result), result.delayMs);
    if (outcome === 'too-far-ahead') {
      throw this.refuse(
        result,
        'too_far_ahead',
        `run ${result.runId}: seq ${result.seq} is REORDER_WINDOW or more ahead of the file`,
      );
    }
    if (outcome === 'saver-full') {
      throw this.refuse(
        result,
        'saver_full',
        `run ${result.runId}: seq ${result.seq} would wait behind a gap, and the saver already holds SAVER_MAX_HELD results that wait`,
      );
    }
    return { accepted: outcome === 'accepted' };
  }

  /** What the saver knows of the run; creates nothing and keeps nothing open. */
  async status(query: SaverStatusQuery): Promise<SaverStatus> {
    const limit = query.missingLimit ?? DEFAULT_MISSING_LIMIT;
    const ended = this.endedStatus(query.runId, query.total);
    if (ended) return ended;
    const opening = this.runs.get(query.runId);
    if (opening)
      return (await this.settledPipeline(query.runId, query.total, opening)).status(limit);
    return this.statusFromDisk(query, limit);
  }

  /** Closes a cancelled run's file (held results are dropped); later results for it are refused. */
  async cancel(query: SaverRunRef): Promise<SaverStatus> {
    const opening = this.runs.get(query.runId);
    const run = opening ? await opening.catch(() => undefined) : undefined;
    await run?.close();
    const status: SaverStatus = {
      ...(run ? run.status(0) : await this.statusFromDisk({ ...query, missingLimit: 0 }, 0)),
      state: 'cancelled',
      buffered: 0,
      stalledMs: 0,
      missing: [],
    };
    this.end(status);
    return status;
  }

  /** Flushes and closes every open file; results still held for an earlier seq are left to the repair. */
  /**
   * Stopping: no file is opened from now on. A message can still arrive while the listener
   * closes; a run it would reopen (its pipeline closing) would never be closed again, and its
   * flush timer would keep the process alive.
   */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    const runs = await Promise.allSettled(this.runs.values());
    const opened = runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : []));
    await Promise.allSettled(opened.map((run) => run.close()));
    this.logger.log(`closed ${runs.length} run file(s)`);
  }

  /** The run's live pipeline (opened as `how` allows); one that is closing is let finish first. */
  private async current(runId: string, total: number, how: 'open'): Promise<RunPipeline>;
  private async current(
    runId: string,
    total: number,
    how: 'if-on-disk',
  ): Promise<RunPipeline | undefined>;
  private async current(
    runId: string,
    total: number,
    how: 'open' | 'if-on-disk',
  ): Promise<RunPipeline | undefined> {
    for (;;) {
      let opening = this.runs.get(runId);
      if (!opening) {
        if (this.stopping) throw refuseForNow(`the saver is stopping: run ${runId} is not open`);
        if (how === 'if-on-disk') {
          if (!(await countWholeLines(this.fileOf(runId))).exists) return undefined;
          // Another message may have opened the run meanwhile: one pipeline, one writer, per file.
          if (this.runs.has(runId)) continue;
        }
        opening = this.openPipeline(runId, total);
      }
      const run = await this.settledPipeline(runId, total, opening);
      if (!run.stoppedEarly) return run;
      await run.finished;
    }
  }

  private async settledPipeline(
    runId: string,
    total: number,
    opening: Promise<RunPipeline>,
  ): Promise<RunPipeline> {
    const run = await opening.catch((error: unknown) => {
      throw new RpcException(
        `run ${runId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    if (run.total !== total) {
      throw new RpcException(`run ${runId} has ${run.total} tasks, not ${total}`);
    }
    return run;
  }

  private openPipeline(runId: string, total: number): Promise<RunPipeline> {
    const opening = this.opening.then(async () => {
      await this.makeRoom();
      const run = await RunPipeline.open(runId, total, this.options);
      this.opened.set(runId, run);
      return run;
    });
    this.opening = opening.catch(() => undefined);
    this.runs.set(runId, opening);
    opening.then(
      (run) =>
        void run.finished.then(() => {
          if (this.opened.get(runId) === run) this.opened.delete(runId);
          this.settle(run, opening);
        }),
      (error: unknown) => {
        // The file could not be opened (EACCES, EROFS, ENOTDIR, …): the run fails with that.
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error(`run ${runId}: ${reason}`);
        this.forget(runId, opening);
        this.end({ ...unknownStatus(runId, this.fileOf(runId)), state: 'failed', error: reason });
      },
    );
    return opening;
  }

  /**
   * Keeps open files under SAVER_MAX_OPEN_RUNS by closing one: the run holding the fewest results
   * behind a gap (they are dropped, and the client's repair sends them again), and of those the one
   * that received nothing for longest. A run holding none loses nothing: it reopens from its file.
   */
  private async makeRoom(): Promise<void> {
    while (this.opened.size >= this.maxOpenRuns) {
      let oldest: RunPipeline | undefined;
      for (const run of this.opened.values()) {
        if (!oldest || evictsBefore(run, oldest)) oldest = run;
      }
      if (!oldest) return;
      this.logger.warn(
        `${this.opened.size} run files open (SAVER_MAX_OPEN_RUNS): closing run ${oldest.runId}`,
      );
      this.opened.delete(oldest.runId);
      await oldest.close();
    }
  }

  private settle(run: RunPipeline, opened: Promise<RunPipeline>): void {
    this.forget(run.runId, opened);
    if (run.completed) {
      this.logger.log(
        `run ${run.runId} completed: ${plural(run.total, 'line')} in ${this.fileOf(run.runId)}`,
      );
      this.end(run.status(0));
    } else if (run.failed) {
      this.end(run.status(0));
    }
    // Otherwise it stopped early (idle, evicted, shutdown): it is opened afresh from its file.
  }

  private end(status: SaverStatus): void {
    if (!this.ended.has(status.runId)) this.observers.ended(status.runId);
    this.ended.delete(status.runId);
    this.ended.set(status.runId, status);
    if (this.ended.size > REMEMBERED_ENDED_RUNS) {
      this.ended.delete(this.ended.keys().next().value as string);
    }
  }

  private endedStatus(runId: string, total: number): SaverStatus | undefined {
    const status = this.ended.get(runId);
    return status && status.written <= total ? status : undefined;
  }

  /** Drops the map's entry for a run, unless a newer pipeline of that run has taken its place. */
  private forget(runId: string, opened: Promise<RunPipeline>): void {
    if (this.runs.get(runId) === opened) this.runs.delete(runId);
  }

  private async statusFromDisk(query: SaverStatusQuery, limit: number): Promise<SaverStatus> {
    const file = this.fileOf(query.runId);
    const { exists, lines } = await countWholeLines(file);
    if (!exists) return unknownStatus(query.runId, file);
    const missing: number[] = [];
    for (let seq = lines + 1; seq <= query.total && missing.length < limit; seq++)
      missing.push(seq);
    return {
      ...unknownStatus(query.runId, file),
      state: lines >= query.total ? 'completed' : 'writing',
      written: lines,
      waitingFor: lines + 1,
      missing,
    };
  }

  /** Reports a result not taken and answers the error its sender gets (retryable: for now). */
  private refuse(result: Result, reason: ResultRefusal, message: string): RpcException {
    this.report(result, reason, message);
    return FOR_NOW.has(reason) ? refuseForNow(message) : new RpcException(message);
  }

  private report(result: Result, reason: ResultRefusal, message: string): void {
    this.observers.refused(result.runId, result.seq, reason);
    let log = this.refusalLogs.get(reason);
    if (!log) {
      // Refusals for now are the saver's back-pressure, routine under load: a line every 10 s.
      log = new ThrottledLog(this.logger, 'warn', FOR_NOW.has(reason) ? 10_000 : 1000);
      this.refusalLogs.set(reason, log);
    }
    const fate = FOR_NOW.has(reason) ? 'its sender sends it again' : 'dropped';
    log.report(`result refused (${reason}): ${message}; ${fate}`);
  }

  private fileOf(runId: string): string {
    return runFilePath(this.options.outputDir, runId);
  }
}

/** Refusals its sender retries; the others drop the result for good. */
const FOR_NOW: ReadonlySet<ResultRefusal> = new Set([
  'too_far_ahead',
  'saver_full',
  'saver_stopping',
]);

const describe = (error: unknown): string =>
  describeError(error instanceof RpcException ? error.getError() : error);

const evictsBefore = (run: RunPipeline, other: RunPipeline): boolean =>
  run.buffered !== other.buffered
    ? run.buffered < other.buffered
    : run.lastMessage < other.lastMessage;

const unknownStatus = (runId: string, file: string): SaverStatus => ({
  runId,
  state: 'unknown',
  written: 0,
  waitingFor: 1,
  buffered: 0,
  duplicates: 0,
  stalledMs: 0,
  missing: [],
  file,
});
