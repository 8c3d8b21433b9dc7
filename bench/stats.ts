/** A figure measured several times: its median, range and every sample, in measuring order. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples: [...samples] };
}

/** Summaries of one field over several objects (e.g. the p99 of every repeat). */
export const summarizeBy = <T>(items: readonly T[], pick: (item: T) => number): Summary =>
  summarize(items.map(pick));

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/** Nearest-rank percentiles of `values` (sorted in place: pass a copy you no longer need). */
export function percentiles(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN, count: 0 };
  values.sort();
  const rank = (p: number): number =>
    values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  return { p50: rank(50), p99: rank(99), max: values[values.length - 1], count: values.length };
}

/** The finite values of `values` from index `from` on, as a new array. */
export function finiteFrom(values: Float64Array, from = 0): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = from; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.slice(0, n);
}

export const round = (value: number, digits = 0): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
