/**
 * How a column combines the values that fall into one point: `last` for a counter that only
 * grows (sent, written), `max` for a level whose peaks matter (the reorder buffer's depth).
 */
export type Combine = 'last' | 'max';

/** A time series as columns: `t` (epoch milliseconds) and one array per named column. */
export interface SeriesPoints {
  readonly t: readonly number[];
  readonly columns: Readonly<Record<string, readonly number[]>>;
}

/**
 * A time series of a few columns in at most `capacity` points, whatever its length: values that
 * come within `step` ms of the point they would join are combined into it, and when the series
 * is full, neighbouring points merge pairwise and the step doubles. Each point carries the time
 * of the latest value it holds, and the series ends on the values last recorded (one more point
 * when a `max` column's latest value is below its point's peak, so a level that fell to 0 shows
 * 0). Fixed memory: (2 + columns) typed arrays of `capacity`.
 */
export class DownsampledSeries<Name extends string> {
  private readonly times: Float64Array;
  private readonly data: Float64Array[];
  private readonly starts: Float64Array;
  private length = 0;
  private latest: readonly number[] = [];

  constructor(
    private readonly columns: Readonly<Record<Name, Combine>>,
    private readonly capacity = 1000,
    private step = 10,
  ) {
    if (capacity < 2 || capacity % 2 !== 0) throw new RangeError('capacity must be even, ≥ 2');
    this.times = new Float64Array(capacity);
    this.starts = new Float64Array(capacity);
    this.data = Object.keys(columns).map(() => new Float64Array(capacity));
  }

  /** Whether a value at `t` would open a new point (so the caller may skip gathering it). */
  opensPoint(t: number): boolean {
    return this.length === 0 || t >= this.starts[this.length - 1] + this.step;
  }

  /** Records the values at time `t`, in the order of the columns given to the constructor. */
  record(t: number, ...values: number[]): void {
    this.latest = values;
    if (this.opensPoint(t)) {
      if (this.length === this.capacity) this.halve();
      const at = this.length++;
      this.starts[at] = t;
      this.times[at] = t;
      this.data.forEach((column, c) => (column[at] = values[c]));
      return;
    }
    const at = this.length - 1;
    this.times[at] = t;
    this.combineInto(at, (c) => values[c]);
  }

  get points(): number {
    return this.length;
  }

  toJSON(): SeriesPoints {
    const names = Object.keys(this.columns);
    const last = this.length - 1;
    const settled = this.data.every((column, c) => column[last] === this.latest[c]);
    const t = Array.from(this.times.subarray(0, this.length));
    const columns = names.map((_, c) => Array.from(this.data[c].subarray(0, this.length)));
    if (this.length > 0 && !settled) {
      t.push(this.times[last]);
      columns.forEach((column, c) => column.push(this.latest[c]));
    }
    return { t, columns: Object.fromEntries(names.map((name, c) => [name, columns[c]])) };
  }

  private combineInto(at: number, valueOf: (column: number) => number): void {
    const combines = Object.values<Combine>(this.columns);
    this.data.forEach((column, c) => {
      column[at] = combines[c] === 'max' ? Math.max(column[at], valueOf(c)) : valueOf(c);
    });
  }

  /** Merges points 2i and 2i+1 into point i; the step doubles so that new points are as coarse. */
  private halve(): void {
    const half = this.length / 2;
    for (let to = 0; to < half; to++) {
      const first = 2 * to;
      const second = first + 1;
      this.starts[to] = this.starts[first];
      this.times[to] = this.times[second];
      this.data.forEach((column) => (column[to] = column[first]));
      this.combineInto(to, (c) => this.data[c][second]);
    }
    this.length = half;
    this.step *= 2;
  }
}
