/** Counts per bucket of `bucketWidth`: bucket i holds [i × width, (i + 1) × width). */
export interface LinearHistogram {
  readonly bucketWidth: number;
  readonly counts: readonly number[];
}

/**
 * A histogram of values ≥ 0 in at most `buckets` equal buckets, for a range that is not known in
 * advance (the saver does not know a run's delay_range): the width starts at 1 and doubles, by
 * merging neighbours, whenever a value falls past the last bucket. Fixed memory, exact counts.
 */
export class DoublingHistogram {
  private readonly counts: Uint32Array;
  private width = 1;
  private used = 0;

  constructor(private readonly buckets = 50) {
    this.counts = new Uint32Array(buckets);
  }

  add(value: number): void {
    while (value >= this.width * this.buckets) this.widen();
    const bucket = Math.floor(Math.max(0, value) / this.width);
    this.counts[bucket]++;
    if (bucket >= this.used) this.used = bucket + 1;
  }

  toJSON(): LinearHistogram {
    return { bucketWidth: this.width, counts: Array.from(this.counts.subarray(0, this.used)) };
  }

  private widen(): void {
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      this.counts[bucket] =
        bucket < this.buckets / 2 ? this.counts[2 * bucket] + this.counts[2 * bucket + 1] : 0;
    }
    this.width *= 2;
    this.used = Math.ceil(this.used / 2);
  }
}
