/** Points (x, y) kept by `SystematicSample`, as two columns of the same length. */
export interface SampledPoints {
  /** How many points were offered in all. */
  readonly seen: number;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/**
 * Keeps at most `capacity` of a stream of values, evenly spread over it: every `stride`-th one,
 * the stride doubling (and every other kept point dropped) whenever the sample is full. Point i
 * is (its place in the stream, its value), so the sample draws the same picture as the whole
 * stream at a coarser grain. Fixed memory: two typed arrays of `capacity`.
 */
export class SystematicSample {
  private readonly places: Float64Array;
  private readonly values: Float64Array;
  private stride = 1;
  private kept = 0;
  private offered = 0;

  constructor(private readonly capacity = 2000) {
    if (capacity < 2 || capacity % 2 !== 0) throw new RangeError('capacity must be even, ≥ 2');
    this.places = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    this.offered++;
    if (this.offered % this.stride !== 0) return;
    if (this.kept === this.capacity) this.halve();
    // After halving, the stride has doubled: this place may no longer be one to keep.
    if (this.offered % this.stride !== 0) return;
    this.places[this.kept] = this.offered;
    this.values[this.kept] = value;
    this.kept++;
  }

  toJSON(): SampledPoints {
    return {
      seen: this.offered,
      x: Array.from(this.places.subarray(0, this.kept)),
      y: Array.from(this.values.subarray(0, this.kept)),
    };
  }

  /** Keeps the points whose place is a multiple of twice the stride. */
  private halve(): void {
    this.stride *= 2;
    let to = 0;
    for (let from = 0; from < this.kept; from++) {
      if (this.places[from] % this.stride !== 0) continue;
      this.places[to] = this.places[from];
      this.values[to] = this.values[from];
      to++;
    }
    this.kept = to;
  }
}
