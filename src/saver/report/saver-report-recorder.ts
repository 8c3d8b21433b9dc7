import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SaverReport } from '../../common/contracts/messages.js';
import { describeError } from '../../common/describe-error.js';
import type { Settings } from '../../common/settings/settings.js';
import { SETTINGS } from '../../common/settings/settings.module.js';
import { SaverObservers, type SaverObserver } from '../saver-observers.js';
import { RecentRuns } from '../../common/recording/recent-runs.js';
import { SaverRunRecording, unknownReport } from './saver-run-recording.js';

/** Runs whose recording is kept; the one that started first is forgotten first. */
export const RECORDED_RUNS = 100;

/**
 * Records, as a saver observer, what each run's report shows of the saver: the order in which
 * results arrived, the delays drawn, the reorder buffer's depth and wait. Bounded: at most
 * RECORDED_RUNS runs, each in fixed memory (see `SaverRunRecording`). When a run ends its report
 * is kept beside its file (`<runId>.report.json`), so a restarted saver still answers it.
 */
@Injectable()
export class SaverReportRecorder implements SaverObserver, OnModuleDestroy {
  private readonly logger = new Logger(SaverReportRecorder.name);
  private readonly runs = new RecentRuns(RECORDED_RUNS, (runId) => new SaverRunRecording(runId));
  private readonly remove: () => void;
  /** Reports being kept: the saver's shutdown waits for them (their files are on its disk). */
  private readonly keeping = new Set<Promise<void>>();

  constructor(
    observers: SaverObservers,
    @Inject(SETTINGS) private readonly settings: Pick<Settings, 'outputDir'>,
  ) {
    this.remove = observers.add(this);
  }

  async onModuleDestroy(): Promise<void> {
    this.remove();
    await Promise.all(this.keeping);
  }

  /** What this life of the saver recorded of the run. */
  report(runId: string): SaverReport {
    return this.runs.get(runId)?.report() ?? unknownReport(runId);
  }

  /** The run's report: recorded in this life, or kept when it ended in an earlier one. */
  async reportOf(runId: string): Promise<SaverReport> {
    const recording = this.runs.get(runId);
    if (recording) return recording.report();
    try {
      return JSON.parse(await readFile(this.pathOf(runId), 'utf8')) as SaverReport;
    } catch {
      return unknownReport(runId);
    }
  }

  ended(runId: string): void {
    const recording = this.runs.get(runId);
    if (!recording) return;
    const path = this.pathOf(runId);
    const keeping = writeFile(`${path}.new`, JSON.stringify(recording.report()))
      .then(() => rename(`${path}.new`, path))
      .catch((error: unknown) =>
        this.logger.warn(`run ${runId}: its report could not be kept: ${describeError(error)}`),
      )
      .finally(() => this.keeping.delete(keeping));
    this.keeping.add(keeping);
  }

  private pathOf(runId: string): string {
    return join(this.settings.outputDir, `${runId}.report.json`);
  }

  received(runId: string, seq: number, delayMs: number, at: number): void {
    this.runs.of(runId).received(seq, delayMs, at);
  }

  released(runId: string, firstSeq: number, count: number, _buffered: number, at: number): void {
    this.runs.of(runId).released(firstSeq, count, at);
  }

  written(runId: string, _firstSeq: number, count: number, at: number): void {
    this.runs.of(runId).written(count, at);
  }

  duplicate(runId: string, seq: number): void {
    this.runs.of(runId).duplicate(seq);
  }
}
