import { ServedRoutes } from '../common/http/served-routes.js';
import { PipelineMetrics } from './pipeline-metrics.js';
import { ReadinessChecks } from './readiness-checks.js';

/** What one process shows its operator, shared by the module contexts it runs. */
export class ProcessOps {
  readonly metrics = new PipelineMetrics();
  readonly readiness = new ReadinessChecks();
  /** What its one HTTP app serves (the client's, or the ops app of a process without it). */
  readonly routes = new ServedRoutes();
}
