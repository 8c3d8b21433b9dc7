import type { BudgetBorrower, UnwrittenBudget } from './unwritten-budget.js';

/**
 * The run's send window over the file, as TCP's receive window: a task may be sent only while the
 * run has fewer than `window` tasks sent and not yet written. So whatever a run holds anywhere
 * (at the server, the processor, in the saver's reorder buffer) stays under `window`, and the seq
 * the file waits for is always among the tasks already sent: pushing back can never deadlock.
 * With a `budget`, each task sent also holds one slot of the client's budget until it is written.
 */
export class SendCredit implements BudgetBorrower {
  private issued = 0;
  /** Nothing leaves before the saver has opened the run and said how much it holds (`slide`). */
  private limit = 0;
  /** Slots given back to the budget: one per line written, all of them once the run stopped. */
  private returned = 0;
  private stopped = false;
  /** At most one waiter per send slot of the run's connections: bounded by the run's window. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly window: number,
    private readonly budget?: UnwrittenBudget,
  ) {}

  /** Undefined when the next task may leave now; otherwise a promise that settles when it may. */
  take(): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.issued < this.limit && this.borrow()) {
      this.issued++;
      return undefined;
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.issued < this.limit) this.budget?.wait(this);
    });
  }

  /**
   * The run is resumed with `sent` tasks an earlier life of the client sent: they count as issued
   * (each holds its slot of the budget until written), so the window still bounds sent − written.
   */
  resume(sent: number): void {
    this.issued = sent;
    this.budget?.occupy(sent);
  }

  /** The saver has `written` lines on disk: the window slides forward. */
  slide(written: number): void {
    if (this.stopped) return;
    this.limit = Math.max(this.limit, written + this.window);
    this.giveBack(Math.min(written, this.issued));
    this.letGo();
  }

  /** The budget has a slot for this run: one waiter goes, if it still has one with room. */
  offer(): boolean {
    if (this.stopped || this.waiting.length === 0 || this.issued >= this.limit) return false;
    this.grant();
    if (this.waiting.length > 0 && this.issued < this.limit) this.budget?.wait(this);
    return true;
  }

  /** Lets every waiter go, and every later send (the run stopped: each then sees that and sends nothing). */
  openAll(): void {
    if (this.stopped) return;
    const held = this.issued - this.returned;
    this.stopped = true;
    this.limit = Number.POSITIVE_INFINITY;
    while (this.waiting.length > 0) this.grant();
    // Last: giving the slots back may serve other runs at once, and this one needs none now.
    this.budget?.release(held);
  }

  get waiters(): number {
    return this.waiting.length;
  }

  private borrow(): boolean {
    return this.stopped || this.budget === undefined || this.budget.tryTake();
  }

  private letGo(): void {
    while (this.waiting.length > 0 && this.issued < this.limit) {
      if (!this.borrow()) {
        this.budget?.wait(this);
        return;
      }
      this.grant();
    }
  }

  /** The first waiter goes (its slot in the run's window, and in the budget, is already counted). */
  private grant(): void {
    this.issued++;
    (this.waiting.shift() as () => void)();
  }

  /** Returns the slots of the first `upTo` tasks sent (those written, or all once stopped). */
  private giveBack(upTo: number): void {
    if (this.stopped || upTo <= this.returned) return;
    const count = upTo - this.returned;
    this.returned = upTo;
    // Sets `returned` first: the budget may offer this run a slot while it serves the waiting runs.
    this.budget?.release(count);
  }
}
