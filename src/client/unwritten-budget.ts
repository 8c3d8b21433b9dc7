/** A run's send credit as the budget sees it: it takes one slot when it can use it. */
export interface BudgetBorrower {
  /** Called when a slot is free; answers whether it took one (it may no longer need it). */
  offer(): boolean;
}

/**
 * Tasks sent and not yet written over every run of one client (`MAX_UNWRITTEN_TASKS`): the
 * process-wide bound on what the pipeline holds for this client, whatever the number of runs.
 * A run's own window (`REORDER_WINDOW`) still applies; the budget only lets several runs share
 * what one run may hold. Runs waiting for a slot are served in turn, one slot each, so one big run
 * cannot starve a small one. It cannot deadlock: a slot is taken only for the next seq of a run,
 * which is sent at once, so every run holding slots has its lowest unwritten seq in flight and
 * gives its slots back as its file grows.
 */
export class UnwrittenBudget {
  private used = 0;
  /** Each waiting run once, in the order they asked: at most the client's active runs. */
  private readonly waiting: BudgetBorrower[] = [];

  constructor(readonly capacity: number) {}

  /** Takes a slot if one is free and nobody waits before the caller. */
  tryTake(): boolean {
    if (this.used >= this.capacity || this.waiting.length > 0) return false;
    this.used++;
    return true;
  }

  /**
   * Counts `count` slots as taken whatever is free: tasks a resumed run had sent before the
   * restart are in the pipeline already (the lines written give them back).
   */
  occupy(count: number): void {
    this.used += count;
  }

  /** The borrower is offered a slot when one is free (once per call; it asks again if it needs more). */
  wait(borrower: BudgetBorrower): void {
    if (!this.waiting.includes(borrower)) this.waiting.push(borrower);
  }

  /** Gives `count` slots back (lines written, or a run that ended) and serves the waiting runs. */
  release(count: number): void {
    this.used = Math.max(0, this.used - count);
    while (this.used < this.capacity && this.waiting.length > 0) {
      const borrower = this.waiting.shift() as BudgetBorrower;
      this.used++;
      if (!borrower.offer()) this.used--;
    }
  }

  get inUse(): number {
    return this.used;
  }

  get waiters(): number {
    return this.waiting.length;
  }
}
