import { isMetricName, METRICS, type MetricName } from './metrics.js';

export const OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Operator = (typeof OPERATORS)[number];

/** `p99_ack_ms<200`: a metric, an operator and a number, as given on the command line. */
export interface Threshold {
  readonly source: string;
  readonly metric: MetricName;
  readonly operator: Operator;
  readonly value: number;
}

export interface ThresholdVerdict {
  readonly threshold: Threshold;
  readonly actual: number;
  readonly passed: boolean;
}

export class ThresholdSyntaxError extends Error {}

// Two-character operators first: `>=` is not `>` followed by `=5`.
const EXPRESSION = /^\s*([a-z0-9_]+)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses `metric op number`; throws `ThresholdSyntaxError` saying what is wrong. */
export function parseThreshold(source: string): Threshold {
  const match = EXPRESSION.exec(source);
  if (!match) {
    throw new ThresholdSyntaxError(
      `"${source}" is not a threshold: write <metric><op><number>, op one of ` +
        `${OPERATORS.join(' ')} (e.g. p99_ack_ms<200)`,
    );
  }
  const [, metric, operator, value] = match;
  if (!isMetricName(metric)) {
    throw new ThresholdSyntaxError(
      `"${source}": unknown metric ${metric}; known: ${Object.keys(METRICS).join(', ')}`,
    );
  }
  return { source: source.trim(), metric, operator: operator as Operator, value: Number(value) };
}

const COMPARE: Record<Operator, (actual: number, limit: number) => boolean> = {
  '>': (actual, limit) => actual > limit,
  '>=': (actual, limit) => actual >= limit,
  '<': (actual, limit) => actual < limit,
  '<=': (actual, limit) => actual <= limit,
  '==': (actual, limit) => actual === limit,
  '!=': (actual, limit) => actual !== limit,
};

export function evaluate(
  thresholds: readonly Threshold[],
  metrics: Readonly<Record<MetricName, number>>,
): ThresholdVerdict[] {
  return thresholds.map((threshold) => {
    const actual = metrics[threshold.metric];
    return { threshold, actual, passed: COMPARE[threshold.operator](actual, threshold.value) };
  });
}
