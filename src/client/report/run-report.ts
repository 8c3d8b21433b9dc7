import type { RunSummary, RunView } from '../../common/contracts/http.js';
import type { SaverReport } from '../../common/contracts/messages.js';
import type { Percentiles } from '../../common/recording/log-histogram.js';

const NO_PERCENTILES: Percentiles = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };

export function summarize(run: RunView, ackMs: Percentiles, saver: SaverReport | null): RunSummary {
  const durationS = run.elapsedMs / 1000;
  return {
    runId: run.runId,
    state: run.state,
    file: run.file,
    tasks: run.total,
    written: run.written,
    durationS,
    tasksPerSecond: durationS > 0 ? Math.round(run.written / durationS) : 0,
    ackMs,
    reorderWaitMs: saver?.reorderWaitMs ?? NO_PERCENTILES,
    duplicates: run.duplicates,
    resent: run.resent,
    failed: run.failed,
  };
}
