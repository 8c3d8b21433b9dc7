import { HttpStatus } from '@nestjs/common';
import { RetryLaterException } from './retry-later.js';

export interface AdmissionLimits {
  /** Runs sending or saving at once. */
  readonly maxActiveRuns: number;
  /** Tasks of the active runs, added up. */
  readonly maxActiveTasks: number;
  /** Runs waiting for their turn; one more is refused. */
  readonly maxQueuedRuns: number;
}

/** 429 with `Retry-After`: the client takes no more runs until one ends. */
export class TooManyRunsException extends RetryLaterException {
  constructor(message: string, retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'Too Many Requests', message, retryAfterSeconds);
  }
}

interface Candidate {
  readonly total: number;
}

/**
 * Admission control over the whole client: a run starts when it fits beside the active runs (by
 * count and by tasks; a run alone always fits), waits its turn in a bounded FIFO queue otherwise,
 * and is refused once the queue is full. First come, first served: a small run never overtakes a
 * large one that waits, so no run starves.
 */
export class Admission<T extends Candidate> {
  private activeRuns = 0;
  private activeTasks = 0;
  private readonly queue: T[] = [];

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly onStart: (run: T) => void,
  ) {}

  get active(): number {
    return this.activeRuns;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Throws `TooManyRunsException` when `offer` would refuse the run: the queue is full. */
  assertRoom(run: T): void {
    if (this.queue.length === 0 && this.fits(run)) return;
    if (this.queue.length >= this.limits.maxQueuedRuns) {
      throw new TooManyRunsException(
        `${this.activeRuns} run(s) active and ${this.queue.length} queued: the queue is full ` +
          `(MAX_QUEUED_RUNS=${this.limits.maxQueuedRuns}); retry when a run has ended`,
        5,
      );
    }
  }

  /**
   * Admits the run now or queues it; throws `TooManyRunsException` when the queue is full, unless
   * `evenIfFull` (a run of an earlier life of the client, which it had accepted already).
   */
  offer(run: T, evenIfFull = false): void {
    if (!evenIfFull) this.assertRoom(run);
    if (this.queue.length === 0 && this.fits(run)) {
      this.start(run);
      return;
    }
    this.queue.push(run);
  }

  /** A run that was admitted has ended: frees its room and admits whoever fits now. */
  release(run: T): void {
    this.activeRuns--;
    this.activeTasks -= run.total;
    this.admitWaiting();
  }

  /** Takes a run out of the queue (cancelled before it started). Answers whether it was there. */
  withdraw(run: T): boolean {
    const at = this.queue.indexOf(run);
    if (at === -1) return false;
    this.queue.splice(at, 1);
    this.admitWaiting();
    return true;
  }

  /** Empties the queue, answering the runs that were waiting. */
  drain(): T[] {
    return this.queue.splice(0);
  }

  private admitWaiting(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0])) {
      this.start(this.queue.shift() as T);
    }
  }

  private fits(run: T): boolean {
    if (this.activeRuns === 0) return true;
    return (
      this.activeRuns < this.limits.maxActiveRuns &&
      this.activeTasks + run.total <= this.limits.maxActiveTasks
    );
  }

  private start(run: T): void {
    this.activeRuns++;
    this.activeTasks += run.total;
    this.onStart(run);
  }
}
