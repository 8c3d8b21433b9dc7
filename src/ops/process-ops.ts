import { PipelineMetrics } from './pipeline-metrics.js';
import { ReadinessChecks } from './readiness-checks.js';

/** What one process shows its operator, shared by the module contexts it runs. */
export class ProcessOps {
  readonly metrics = new PipelineMetrics();
  readonly readiness = new ReadinessChecks();
}
