/**
 * The run's send window over the file, as TCP's receive window: a task may be sent only while the
 * run has fewer than `window` tasks sent and not yet written. So whatever a run holds anywhere
 * (at the server, the processor, in the saver's reorder buffer) stays under `window`, and the seq
 * the file waits for is always among the tasks already sent: pushing back can never deadlock.
 */
export class SendCredit {
  private issued = 0;
  /** Nothing leaves before the saver has opened the run and said how much it holds (`slide`). */
  private limit = 0;
  /** At most one waiter per send slot of the run's connections: bounded by the run's window. */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly window: number) {}

  /** Undefined when the next task may leave now; otherwise a promise that settles when it may. */
  take(): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.issued < this.limit) {
      this.issued++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The saver has `written` lines on disk: the window slides forward. */
  slide(written: number): void {
    this.limit = Math.max(this.limit, written + this.window);
    while (this.waiting.length > 0 && this.issued < this.limit) {
      this.issued++;
      (this.waiting.shift() as () => void)();
    }
  }

  /** Lets every waiter go (the run stopped: each then sees that and sends nothing). */
  openAll(): void {
    this.slide(Number.POSITIVE_INFINITY);
  }

  get waiters(): number {
    return this.waiting.length;
  }
}
