import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { newRunId } from './run-id.js';
import { RunMonitor } from './run-monitor.js';
import type { RunQueryDto } from './run-query.dto.js';
import { Run } from './run.js';
import { describe, TaskSender } from './task-sender.js';

/** Runs kept for `GET /runs/:runId`; the oldest settled ones are forgotten first. */
const REMEMBERED_RUNS = 1000;

/** Starts runs and keeps them, from the first task sent until the last line is on disk. */
@Injectable()
export class RunsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RunsService.name);
  private readonly runs = new Map<string, Run>();
  private readonly active = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly sender: TaskSender,
    private readonly monitor: RunMonitor,
  ) {}

  start(query: RunQueryDto): Run {
    if (this.stopping.signal.aborted) {
      throw new ServiceUnavailableException('shutting down: no new runs');
    }
    const runId = newRunId();
    const run = new Run(
      runId,
      {
        connectionCount: query.connection_count,
        connectionValue: query.connection_value,
        delayRange: query.delay_range,
      },
      join(this.settings.outputDir, `${runId}.jsonl`),
    );
    this.remember(run);
    const work = this.drive(run).finally(() => this.active.delete(work));
    this.active.add(work);
    return run;
  }

  find(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  /** Takes no new run, and gives the runs in progress until the shutdown bound to finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    if (this.active.size === 0) return;
    this.logger.log(`waiting for ${this.active.size} run(s) to finish sending`);
    await Promise.race([
      Promise.all(this.active),
      sleep(this.settings.shutdownTimeoutMs, undefined, { ref: false }),
    ]);
  }

  private async drive(run: Run): Promise<void> {
    const { connectionCount, connectionValue, delayRange } = run.shape;
    this.logger.log(
      `run ${run.runId}: ${connectionCount}×${connectionValue} tasks, delay_range ${delayRange}s`,
    );
    try {
      await this.sender.sendRun(run);
      run.sendingDone();
      await this.monitor.follow(run, this.stopping.signal);
    } catch (error) {
      run.fail(describe(error));
    }
    const { state, elapsedMs, failed } = run.view();
    this.logger.log(`run ${run.runId}: ${state} in ${elapsedMs} ms (${failed} task(s) failed)`);
  }

  private remember(run: Run): void {
    this.runs.set(run.runId, run);
    if (this.runs.size <= REMEMBERED_RUNS) return;
    for (const [runId, old] of this.runs) {
      if (old.current === 'completed' || old.current === 'failed') {
        this.runs.delete(runId);
        return;
      }
    }
  }
}
