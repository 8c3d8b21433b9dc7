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

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.options = { outputDir: settings.outputDir, ...settings.saver };
  }

  async accept(result: Result): Promise<ResultReceipt> {
    const run = await this.open(result.runId, result.total);
    return { accepted: run.push(result.seq, toLine(result)) };
  }

  async status(query: SaverStatusQuery): Promise<SaverStatus> {
    const run = await this.open(query.runId, query.total);
    return run.status(query.missingLimit ?? DEFAULT_MISSING_LIMIT);
  }

  /** Flushes and closes every open file; results still held for an earlier seq are left to the repair. */
  async onApplicationShutdown(): Promise<void> {
    const runs = await Promise.allSettled(this.runs.values());
    const opened = runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : []));
    await Promise.allSettled(opened.map((run) => run.close()));
    this.logger.log(`closed ${runs.length} run file(s)`);
  }

  private async open(runId: string, total: number): Promise<RunPipeline> {
    let opening = this.runs.get(runId);
    if (!opening) {
      opening = RunPipeline.open(runId, total, this.options);
      this.runs.set(runId, opening);
      opening.then(
        (run) => void run.finished.then(() => this.remember(run)),
        () => this.runs.delete(runId),
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

  private remember(run: RunPipeline): void {
    if (!run.completed) {
      // Stopped early (shutdown or a failed write): open it afresh from its file next time.
      this.runs.delete(run.runId);
      return;
    }
    this.logger.log(`run ${run.runId} completed: ${run.total} lines`);
    this.completedOrder.push(run.runId);
    if (this.completedOrder.length > REMEMBERED_COMPLETED_RUNS) {
      this.runs.delete(this.completedOrder.shift() as string);
    }
  }
}
