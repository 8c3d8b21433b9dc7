/**
 * Paces refusals: `perTick` of them are answered at once in each tick, the rest wait for the end
 * of the tick. A client that asks again as soon as it is refused (a load tool, a retry loop that
 * ignores `Retry-After`) then asks about once a tick instead of as fast as the process can answer,
 * and leaves the process to the runs it accepted. Someone refused now and then is answered at once.
 * At most `maxHeld` wait (each is an open request on a socket); one more is answered at once.
 */
export class RefusalPacer {
  private promptLeft: number;
  private held: (() => void)[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly perTick: number,
    private readonly maxHeld: number,
    private readonly tickMs = 1000,
  ) {
    this.promptLeft = perTick;
  }

  get waiting(): number {
    return this.held.length;
  }

  /** Calls `answer` now, or at the end of this tick when its prompt answers are spent. */
  pace(answer: () => void): void {
    this.arm();
    if (this.promptLeft > 0 || this.held.length >= this.maxHeld) {
      this.promptLeft--;
      answer();
      return;
    }
    this.held.push(answer);
  }

  /** Answers every refusal held, now (the client stops). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.tick();
  }

  private arm(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, this.tickMs).unref();
  }

  private tick(): void {
    this.promptLeft = this.perTick;
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }
}
