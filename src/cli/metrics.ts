/** The figures a threshold can test, by name (as `--help` lists them). */
export const METRICS = {
  tasks: 'tasks in the run',
  written: 'lines in the file',
  failed: 'tasks given up on after every retry',
  resent: 'tasks sent again by the repair',
  duplicates: 'results the saver dropped as duplicates',
  duration_s: 'seconds from the request to the last line on disk',
  tasks_per_second: 'lines written per second of the duration',
  p50_ack_ms: 'acknowledgement latency at the client, median (ms)',
  p90_ack_ms: '… 90th percentile (ms)',
  p99_ack_ms: '… 99th percentile (ms)',
  max_ack_ms: '… largest (ms)',
  p50_reorder_wait_ms: 'wait in the reorder buffer at the saver, median (ms)',
  p90_reorder_wait_ms: '… 90th percentile (ms)',
  p99_reorder_wait_ms: '… 99th percentile (ms)',
  max_reorder_wait_ms: '… largest (ms)',
} as const;

export type MetricName = keyof typeof METRICS;

export const isMetricName = (name: string): name is MetricName => Object.hasOwn(METRICS, name);

export function metricsOf(summary: RunSummary): Record<MetricName, number> {
  const { ackMs, reorderWaitMs } = summary;
  return {
    tasks: summary.tasks,
    written: summary.written,
    failed: summary.failed,
    resent: summary.resent,
    duplicates: summary.duplicates,
    duration_s: summary.durationS,
    tasks_per_second: summary.tasksPerSecond,
    p50_ack_ms: ackMs.p50,
    p90_ack_ms: ackMs.p90,
    p99_ack_ms: ackMs.p99,
    max_ack_ms: ackMs.max,
    p50_reorder_wait_ms: reorderWaitMs.p50,
    p90_reorder_wait_ms: reorderWaitMs.p90,
    p99_reorder_wait_ms: reorderWaitMs.p99,
    max_reorder_wait_ms: reorderWaitMs.max,
  };
}

/** `--help` text: every metric a threshold may name. */
export const metricsHelp = (): string =>
  Object.entries(METRICS)
    .map(([name, meaning]) => `  ${name.padEnd(22)} ${meaning}`)
    .join('\n');
import type { RunSummary } from '../common/contracts/http.js';
