import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type {
  Result,
  ResultReceipt,
  SaverStatus,
  SaverStatusQuery,
} from '../common/contracts/messages.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { toLine } from './result-line.js';
import { RunPipeline, type PipelineOptions } from './run-pipeline.js';

/** Completed runs whose status is kept in memory; older ones are read back from their file. */
const REMEMBERED_COMPLETED_RUNS = 1000;
const DEFAULT_MISSING_LIMIT = 10_000;

/** Owns one `RunPipeline` per run, opened on the run's first message. */
@Injectable()
export class SaverService implements OnApplicationShutdown {
  private readonly logger = new Logger(SaverService.name);
  private readonly runs = new Map<string, Promise<RunPipeline>>();
  private readonly completedOrder: string[] = [];
  private readonly options: PipelineOptions;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.options = { outputDir: settings.outputDir, ...settings.saver };
    this.idleMs = settings.saver.idleMs;
    // A run whose client went away would hold its file, timer and held results for ever.
    this.sweeper = setInterval(() => void this.closeIdleRuns(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** Closes runs that received nothing for SAVER_IDLE_MS; a later message reopens them from the file. */
  async closeIdleRuns(): Promise<void> {
    for (const [runId, opening] of this.runs) {
      const run = await opening.catch(() => undefined);
      if (!run || run.completed || run.idleMs < this.idleMs) continue;
      this.logger.warn(`run ${runId}: nothing received for ${run.idleMs} ms; closing its file`);
      // The entry stays until the file is closed (then `remember` drops it): a message meanwhile
      // meets the closing pipeline and is refused, never a second writer on the same file.
      await run.close();
    }
  }

  async accept(result: Result): Promise<ResultReceipt> {
    const run = await this.current(result.runId, result.total);
    return { accepted: run.push(result.seq, toLine(result)) };
  }

  async status(query: SaverStatusQuery): Promise<SaverStatus> {
    const run = await this.current(query.runId, query.total);
    return run.status(query.missingLimit ?? DEFAULT_MISSING_LIMIT);
  }

  /** The run's live pipeline: one that is closing early is let finish, then the run is reopened. */
  private async current(runId: string, total: number): Promise<RunPipeline> {
    const run = await this.open(runId, total);
    if (!run.stoppedEarly) return run;
    await run.finished;
    return this.open(runId, total);
  }

  /** Flushes and closes every open file; results still held for an earlier seq are left to the repair. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    const runs = await Promise.allSettled(this.runs.values());
    const opened = runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : []));
    await Promise.allSettled(opened.map((run) => run.close()));
    this.logger.log(`closed ${runs.length} run file(s)`);
  }

  private async open(runId: string, total: number): Promise<RunPipeline> {
    let opening = this.runs.get(runId);
    if (!opening) {
      const opened = RunPipeline.open(runId, total, this.options);
      opening = opened;
      this.runs.set(runId, opened);
      opened.then(
        (run) => void run.finished.then(() => this.remember(run, opened)),
        () => this.forget(runId, opened),
      );
    }
    const run = await opening.catch((error: unknown) => {
      throw new RpcException(`run ${runId}: ${String(error)}`);
    });
    if (run.total !== total) {
      throw new RpcException(`run ${runId} has ${run.total} tasks, not ${total}`);
    }
    return run;
  }

  private remember(run: RunPipeline, opened: Promise<RunPipeline>): void {
    if (!run.completed) {
      // Stopped early (idle, shutdown or a failed write): open it afresh from its file next time.
      // Its file is closed by now, so the next pipeline is the only writer.
      this.forget(run.runId, opened);
      return;
    }
    this.logger.log(`run ${run.runId} completed: ${run.total} lines`);
    this.completedOrder.push(run.runId);
    if (this.completedOrder.length > REMEMBERED_COMPLETED_RUNS) {
      this.runs.delete(this.completedOrder.shift() as string);
    }
  }

  /** Drops the map's entry for a run, unless a newer pipeline of that run has taken its place. */
  private forget(runId: string, opened: Promise<RunPipeline>): void {
    if (this.runs.get(runId) === opened) this.runs.delete(runId);
  }
}
