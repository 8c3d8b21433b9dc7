/** p50, p90, p99 and the largest value of a histogram, in its unit (ms here); zeros when empty. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The smallest value told apart from zero: 10 µs. */
const LOWEST = 0.01;
/** Each bucket is 2^(1/8) ≈ 9 % wider than the one before: that is the error of a percentile. */
const GROWTH = 2 ** (1 / 8);
/** LOWEST × GROWTH^216 ≈ 1.3 × 10⁶ ms (22 minutes); larger values share the last bucket. */
const BUCKETS = 217;

/**
 * A histogram of positive values in fixed logarithmic buckets (1.7 KB whatever the count), for
 * latencies: percentiles come out within one bucket (9 %) of the exact value, and never above
 * the largest value seen.
 */
export class LogHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private largest = 0;

  add(value: number): void {
    const bucket =
      value <= LOWEST
        ? 0
        : Math.min(BUCKETS - 1, Math.ceil(Math.log(value / LOWEST) / Math.log(GROWTH)));
    this.counts[bucket]++;
    this.total++;
    if (value > this.largest) this.largest = value;
  }

  get count(): number {
    return this.total;
  }

  /** The upper bound of the bucket that holds the `fraction` quantile (0..1), at most the max. */
  quantile(fraction: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket];
      // The last bucket holds everything larger: its bound is the largest value seen.
      if (seen >= rank && bucket < BUCKETS - 1)
        return Math.min(this.largest, LOWEST * GROWTH ** bucket);
      if (seen >= rank) return this.largest;
    }
    return this.largest;
  }

  percentiles(): Percentiles {
    return {
      count: this.total,
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      max: round(this.largest),
    };
  }
}

const round = (value: number): number => Math.round(value * 100) / 100;
