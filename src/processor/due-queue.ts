/**
 * Wakes each waiter once its delay has passed, with one timer for all of them. A held task with a
 * `setTimeout` of its own costs a Timeout, its promise and, for each distinct delay in ms, one of
 * Node's timer lists: measured at delay_range=60, 40k held tasks made 27k lists. Here a task costs
 * one heap entry. Delays are whole milliseconds, as a timer's are.
 */
export class DueQueue {
  /** A binary min-heap by due time, in two parallel arrays (no object per entry). */
  private readonly dues: number[] = [];
  private readonly wakes: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private timerDue = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.dues.length;
  }

  /** Settles after `delayMs` (never rejects); at once when `wakeAll` is called before. */
  wait(delayMs: number): Promise<void> {
    return new Promise((wake) => {
      this.push(Date.now() + delayMs, wake);
      this.arm();
    });
  }

  /** Wakes every waiter now (the process stops: each then sees why) and stops the timer. */
  wakeAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const wakes = this.wakes.splice(0);
    this.dues.length = 0;
    for (const wake of wakes) wake();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    while (this.dues.length > 0 && this.dues[0] <= now) this.pop()();
    this.arm();
  }

  /** Keeps one unref'd timer for the earliest due time (it does not hold a stopping process up). */
  private arm(): void {
    if (this.dues.length === 0 || this.dues[0] >= this.timerDue) return;
    clearTimeout(this.timer);
    this.timerDue = this.dues[0];
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.timerDue - Date.now()));
    this.timer.unref();
  }

  private push(due: number, wake: () => void): void {
    const { dues, wakes } = this;
    let at = dues.length;
    dues.push(due);
    wakes.push(wake);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (dues[parent] <= due) break;
      dues[at] = dues[parent];
      wakes[at] = wakes[parent];
      at = parent;
    }
    dues[at] = due;
    wakes[at] = wake;
  }

  private pop(): () => void {
    const { dues, wakes } = this;
    const first = wakes[0];
    const lastDue = dues.pop() as number;
    const lastWake = wakes.pop() as () => void;
    const size = dues.length;
    if (size === 0) return first;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && dues[child + 1] < dues[child]) child++;
      if (dues[child] >= lastDue) break;
      dues[at] = dues[child];
      wakes[at] = wakes[child];
      at = child;
    }
    dues[at] = lastDue;
    wakes[at] = lastWake;
    return first;
  }
}
