import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bufferTime, concatMap, filter, lastValueFrom, mergeAll, Subject, tap } from 'rxjs';
import type { SaverRunState, SaverStatus } from '../common/contracts/messages.js';
import { releaseInOrder, type Sequenced } from './release-in-order.operator.js';
import type { HeldResults } from './held-results.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { RunFile, WrittenElsewhere } from './run-file.js';
import { SaverObservers } from './saver-observers.js';

export interface PipelineOptions {
  readonly outputDir: string;
  /** Longest wait before released lines are written. */
  readonly flushMs: number;
  /** Most lines in one write. */
  readonly batchMax: number;
  /** A result further than this ahead of the file is refused for now (REORDER_WINDOW). */
  readonly reorderWindow: number;
  /** Told as each result arrives, is released and is written. */
  readonly observers?: SaverObservers;
  /** What every run of the saver holds together (SAVER_MAX_HELD); this run adds what it holds. */
  readonly held?: HeldResults;
  /** Other savers may write the run files too, one at a time (SAVER_FAILOVER). */
  readonly sharedFiles?: boolean;
}

/** What `RunPipeline.push` makes of a result. */
export type PushOutcome = 'accepted' | 'duplicate' | 'too-far-ahead' | 'saver-full';

export const runFilePath = (outputDir: string, runId: string): string =>
  join(outputDir, `${runId}.jsonl`);

/**
 * One run at the saver: results in any order → reorder buffer → batches → one sequential
 * appender → status. The run is completed once its last line is flushed and the file closed.
 */
export class RunPipeline {
  private static readonly logger = new Logger(RunPipeline.name);
  private readonly input = new Subject<Sequenced<string>>();
  private readonly buffer: ReorderBuffer<string>;
  private written: number;
  private duplicates = 0;
  private lastProgressAt = Date.now();
  private lastMessageAt = Date.now();
  private state: SaverRunState = 'writing';
  private error?: string;
  private readonly observers: SaverObservers;
  /** Another saver wrote the shared file: this pipeline writes nothing more. */
  private superseded = false;
  /** What this run has added to `options.held`: its buffer's size, and 0 once it stopped. */
  private countedHeld = 0;
  /** Settles when the pipeline has stopped: every released line written and the file closed. */
  readonly finished: Promise<void>;

  private constructor(
    readonly runId: string,
    readonly total: number,
    private readonly file: RunFile,
    private readonly options: PipelineOptions,
  ) {
    this.written = file.linesAtOpen;
    this.buffer = new ReorderBuffer<string>(total, file.linesAtOpen + 1);
    const observers = options.observers ?? new SaverObservers();
    this.observers = observers;
    const writes$ = this.input.pipe(
      releaseInOrder(this.buffer, (seq) => {
        this.duplicates++;
        if (observers.active) observers.duplicate(runId, seq);
      }),
      tap((lines) => {
        if (!observers.active) return;
        const first = this.buffer.next - lines.length;
        observers.released(runId, first, lines.length, this.buffer.size, performance.now());
      }),
      mergeAll(),
      bufferTime(options.flushMs, null, options.batchMax),
      filter((lines) => lines.length > 0),
      // concatMap: never two writes to the file at once; lines released meanwhile wait their turn.
      concatMap(async (lines) => {
        if (this.superseded) return;
        try {
          await this.file.append(lines.join(''));
        } catch (error) {
          if (!(error instanceof WrittenElsewhere)) throw error;
          // Another saver has the run now: stop without failing it, and leave the file to it.
          RunPipeline.logger.warn(`run ${runId}: ${error.message}`);
          this.superseded = true;
          this.input.complete();
          return;
        }
        if (observers.active) {
          observers.written(runId, this.written + 1, lines.length, performance.now());
        }
        this.written += lines.length;
        this.lastProgressAt = Date.now();
      }),
    );
    this.finished = lastValueFrom(writes$, { defaultValue: undefined }).then(
      () => this.stop(),
      (error: unknown) => this.fail(error),
    );
  }

  static async open(runId: string, total: number, options: PipelineOptions): Promise<RunPipeline> {
    const file = await RunFile.open(runFilePath(options.outputDir, runId), options.sharedFiles);
    if (file.linesAtOpen > total) {
      await file.close();
      throw new Error(`${file.path} holds ${file.linesAtOpen} lines, more than the run's ${total}`);
    }
    return new RunPipeline(runId, total, file, options);
  }

  /**
   * Takes one result's line: a duplicate (already written, held, or the run is over) is dropped
   * and counted; a result `reorderWindow` or more ahead of the file is not taken (the sender waits
   * and sends it again), so the reorder buffer never holds more than that.
   */
  push(seq: number, line: string, delayMs = 0): PushOutcome {
    if (this.state !== 'writing' || this.buffer.done || this.input.isStopped) {
      this.duplicates++;
      if (this.observers.active) this.observers.duplicate(this.runId, seq);
      return 'duplicate';
    }
    if (seq >= this.buffer.next + this.options.reorderWindow) return 'too-far-ahead';
    // Only a result that would wait behind a gap is refused: the next seq always goes through.
    // A second copy of a held result is a duplicate, not a refusal: its sender is done with it.
    if (seq > this.buffer.next && !this.buffer.has(seq) && this.options.held?.full)
      return 'saver-full';
    this.lastMessageAt = Date.now();
    const before = this.duplicates;
    if (this.observers.active) this.observers.received(this.runId, seq, delayMs, performance.now());
    this.input.next({ seq, item: line });
    this.countHeld(this.buffer.size);
    return this.duplicates === before ? 'accepted' : 'duplicate';
  }

  /** Keeps the saver-wide count in step with what this run holds (`now` results). */
  private countHeld(now: number): void {
    this.options.held?.add(now - this.countedHeld);
    this.countedHeld = now;
  }

  /** Milliseconds since the run last received a result (or was opened). */
  get lastMessage(): number {
    return this.lastMessageAt;
  }

  /** Results held behind a gap. */
  get buffered(): number {
    return this.buffer.size;
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** Stopped before its last line (idle, shutdown, evicted), not failed: it may be opened afresh. */
  get stoppedEarly(): boolean {
    return (
      this.state !== 'failed' && this.input.isStopped && (!this.buffer.done || this.superseded)
    );
  }

  /** Milliseconds since the run last received a result. */
  get idleMs(): number {
    return Date.now() - this.lastMessageAt;
  }

  get completed(): boolean {
    return this.state === 'completed';
  }

  status(missingLimit: number): SaverStatus {
    const active = this.state === 'writing';
    return {
      runId: this.runId,
      state: this.state,
      written: this.written,
      waitingFor: this.written + 1,
      buffered: active ? this.buffer.size : 0,
      duplicates: this.duplicates,
      stalledMs: active ? Date.now() - this.lastProgressAt : 0,
      missing: active ? this.buffer.missing(missingLimit) : [],
      file: this.file.path,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  /** Stops taking results, writes what was released, closes the file. Held results are dropped. */
  async close(): Promise<void> {
    this.input.complete();
    await this.finished;
  }

  private async stop(): Promise<void> {
    this.input.complete();
    this.countHeld(0);
    try {
      await this.file.close();
    } catch (error) {
      // Not synced: the run is not completed, and is opened afresh from its file next time.
      await this.fail(error);
      return;
    }
    if (this.written === this.total) this.state = 'completed';
  }

  /** A write failed: the run is over at this saver, and its file is closed at once (once per run). */
  private async fail(error: unknown): Promise<void> {
    if (this.state === 'failed') return;
    this.state = 'failed';
    const reason = error instanceof Error ? error.message : String(error);
    this.error = `writing ${this.file.path} failed: ${reason}`;
    RunPipeline.logger.error(`run ${this.runId}: ${this.error}`);
    this.input.complete();
    this.countHeld(0);
    await this.file.close().catch(() => undefined);
  }
}
