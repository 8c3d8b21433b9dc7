import type { RunSummary } from '../common/contracts/http.js';
import type { Percentiles } from '../common/recording/log-histogram.js';
import type { ThresholdVerdict } from './thresholds.js';

/** What `--json` prints: the summary, the metrics thresholds test, their verdicts, the report. */
export interface JsonSummary {
  readonly summary: RunSummary;
  readonly metrics: Readonly<Record<string, number>>;
  readonly thresholds: readonly {
    readonly threshold: string;
    readonly actual: number;
    readonly passed: boolean;
  }[];
  readonly report: string;
}

const count = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });
const percentiles = (p: Percentiles): string =>
  `p50=${p.p50}ms p90=${p.p90}ms p99=${p.p99}ms max=${p.max}ms`;
const row = (name: string, value: string): string => `  ${name.padEnd(24, '.')}: ${value}`;

/** The end-of-run summary, in the manner of k6: one dotted row per figure, then thresholds. */
export function formatSummary(
  summary: RunSummary,
  verdicts: readonly ThresholdVerdict[],
  reportUrl: string,
): string {
  const lines = [
    '',
    `  run ${summary.runId}: ${summary.state}`,
    '',
    row('tasks', `${count(summary.written)} written of ${count(summary.tasks)}`),
    row('duration', `${count(summary.durationS, 2)} s`),
    row('tasks/s', count(summary.tasksPerSecond)),
    row('ack latency', percentiles(summary.ackMs)),
    row('reorder wait', percentiles(summary.reorderWaitMs)),
    row('duplicates', count(summary.duplicates)),
    row('re-sent', count(summary.resent)),
    row('failed', count(summary.failed)),
    row('file', summary.file),
    row('report', reportUrl),
  ];
  if (verdicts.length > 0) {
    lines.push('', '  thresholds');
    for (const { threshold, actual, passed } of verdicts) {
      lines.push(
        `  ${passed ? '✓' : '✗'} ${threshold.source.padEnd(30)} ${threshold.metric}=${actual}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
