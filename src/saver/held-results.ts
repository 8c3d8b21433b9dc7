/**
 * Results held behind a gap over every run of one saver (SAVER_MAX_HELD). A run's own window
 * (REORDER_WINDOW) bounds what one run holds; this bounds them all together, so the number of runs
 * open at once (SAVER_MAX_OPEN_RUNS) does not multiply it. Only a result that would wait is ever
 * refused: the next seq of a run is always taken, and every run's file can always grow.
 */
export class HeldResults {
  private count = 0;

  constructor(readonly capacity: number) {}

  get held(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** `delta` more results held (negative: fewer, released or dropped). */
  add(delta: number): void {
    this.count += delta;
  }
}
