import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { PipelineMetrics, RESULT_REFUSALS } from '../ops/pipeline-metrics.js';
import { ReadinessChecks } from '../ops/readiness-checks.js';
import { outputDirProblem } from './output-dir.js';
import { SaverObservers } from './saver-observers.js';
import { SaverService } from './saver.service.js';

/**
 * What the saver shows its operator, read from its observers: lines written, duplicates dropped,
 * results refused, results held in the reorder buffers, open files; and whether OUTPUT_DIR is writable.
 */
@Injectable()
export class SaverOps implements OnModuleInit, OnModuleDestroy {
  private removers: (() => void)[] = [];

  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly readiness: ReadinessChecks,
    private readonly observers: SaverObservers,
    private readonly saver: SaverService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics.use('saver');
    const saver = String(this.settings.savers.index);
    for (const reason of RESULT_REFUSALS) metrics.resultsRefused.inc({ reason, saver }, 0);
    const written = metrics.resultsWritten.labels({ saver });
    const duplicates = metrics.duplicatesDropped.labels({ saver });
    written.inc(0);
    duplicates.inc(0);
    this.removers = [
      this.observers.add({
        written: (_runId, _firstSeq, count) => written.inc(count),
        duplicate: () => duplicates.inc(),
        refused: (_runId, _seq, reason) => metrics.resultsRefused.inc({ reason, saver }),
      }),
      metrics.reorderBuffered.add(() => [[{ saver }, this.saver.heldResults]]),
      metrics.saverOpenRuns.add(() => [[{ saver }, this.saver.openRuns]]),
      this.readiness.add('outputDir', async () => {
        const reason = await outputDirProblem(this.settings.outputDir);
        return {
          up: reason === undefined,
          outputDir: this.settings.outputDir,
          ...(reason ? { reason } : {}),
        };
      }),
    ];
  }

  onModuleDestroy(): void {
    for (const remove of this.removers) remove();
  }
}
