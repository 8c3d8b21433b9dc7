import { Module, type DynamicModule } from '@nestjs/common';
import { globalValues } from '../common/global-values.js';
import { PipelineMetrics } from './pipeline-metrics.js';
import type { ProcessOps } from './process-ops.js';
import { ReadinessChecks } from './readiness-checks.js';

/**
 * Makes the process's metrics and readiness checks injectable in every module of one application
 * context, so that each module adds its own and one set of routes serves them all.
 */
@Module({})
export class OpsModule {
  static forRoot(ops: ProcessOps): DynamicModule {
    return globalValues(OpsModule, [
      [PipelineMetrics, ops.metrics],
      [ReadinessChecks, ops.readiness],
    ]);
  }
}
