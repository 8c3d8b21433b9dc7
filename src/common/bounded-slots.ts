/** Thrown when no slot became free in time, or too many are already waiting for one. */
export class NoSlotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = NoSlotError.name;
  }
}

interface Waiter {
  readonly grant: () => void;
  readonly timer?: NodeJS.Timeout;
}

/**
 * A counting semaphore whose waiting line is bounded too: `capacity` holders at once, at most
 * `maxWaiting` waiting, each for at most `waitMs` (0: as long as it takes). Whoever cannot get a slot is told so at once
 * (`NoSlotError`), so a bound pushes back on the sender instead of growing a queue.
 */
export class BoundedSlots {
  private holders = 0;
  private mostHeld = 0;
  private readonly line: Waiter[] = [];

  constructor(
    readonly capacity: number,
    readonly maxWaiting: number,
    private readonly waitMs: number,
  ) {}

  get held(): number {
    return this.holders;
  }

  /** The most slots ever held at once: a bound that held never shows more than `capacity`. */
  get peak(): number {
    return this.mostHeld;
  }

  get waiting(): number {
    return this.line.length;
  }

  /** Takes a slot, waiting for one within the bounds; the slot is held until `release()`. */
  acquire(): Promise<void> {
    if (this.holders < this.capacity && this.line.length === 0) {
      this.take();
      return Promise.resolve();
    }
    if (this.line.length >= this.maxWaiting) {
      return Promise.reject(
        new NoSlotError(`${this.holders} held and ${this.line.length} waiting: no room`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          this.take();
          resolve();
        },
        timer:
          this.waitMs > 0
            ? setTimeout(() => {
                const at = this.line.indexOf(waiter);
                if (at !== -1) this.line.splice(at, 1);
                reject(
                  new NoSlotError(
                    `${this.holders} held: no slot came free within ${this.waitMs} ms`,
                  ),
                );
              }, this.waitMs)
            : undefined,
      };
      this.line.push(waiter);
    });
  }

  private take(): void {
    this.holders++;
    if (this.holders > this.mostHeld) this.mostHeld = this.holders;
  }

  release(): void {
    this.holders--;
    const next = this.line.shift();
    if (next) next.grant();
  }

  /** Runs `work` in a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
