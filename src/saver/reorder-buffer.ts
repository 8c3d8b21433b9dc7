/** What `ReorderBuffer.push` answers for a seq it has already taken. */
export const DUPLICATE = Symbol('duplicate');

/**
 * Holds items that arrive out of order and releases them in seq order, as soon as the contiguous
 * prefix grows. Memory holds only items that wait for an earlier seq.
 */
export class ReorderBuffer<T> {
  private readonly waiting = new Map<number, T>();
  private nextSeq: number;

  /**
   * @param total the last seq; the buffer is done once it has released it
   * @param nextSeq the first seq to release (more than 1 when a file already holds a prefix)
   */
  constructor(
    readonly total: number,
    nextSeq = 1,
  ) {
    this.nextSeq = nextSeq;
  }

  /** The seq the buffer waits for. */
  get next(): number {
    return this.nextSeq;
  }

  /** Whether `seq` was released or is held already (a second copy would be a duplicate). */
  has(seq: number): boolean {
    return seq < this.nextSeq || this.waiting.has(seq);
  }

  /** Items held back. */
  get size(): number {
    return this.waiting.size;
  }

  get done(): boolean {
    return this.nextSeq > this.total;
  }

  /**
   * Takes one item. Answers the items it releases (possibly none), in seq order, or `DUPLICATE`
   * when the seq was released or is held already. Seqs outside 1..total are a caller's bug.
   */
  push(seq: number, item: T): T[] | typeof DUPLICATE {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.total) {
      throw new RangeError(`seq ${seq} is outside 1..${this.total}`);
    }
    if (this.has(seq)) return DUPLICATE;
    if (seq !== this.nextSeq) {
      this.waiting.set(seq, item);
      return [];
    }
    const released = [item];
    this.nextSeq++;
    for (
      let held = this.waiting.get(this.nextSeq);
      held !== undefined;
      held = this.waiting.get(this.nextSeq)
    ) {
      this.waiting.delete(this.nextSeq);
      released.push(held);
      this.nextSeq++;
    }
    return released;
  }

  /** Seqs not received yet, lowest first, at most `limit`. */
  missing(limit: number): number[] {
    const found: number[] = [];
    for (let seq = this.nextSeq; seq <= this.total && found.length < limit; seq++) {
      if (!this.waiting.has(seq)) found.push(seq);
    }
    return found;
  }
}
