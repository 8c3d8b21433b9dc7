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

/** What a refused caller is asked to wait: about the time a few runs take to end. */
const QUEUE_FULL_RETRY_SECONDS = 5;

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
  /** Runs given room by `reserve` and not yet offered: they count as queued until then. */
  private reserved = 0;

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

  /**
   * Whether `offer` would refuse any run, whatever its size: the queue is full and not empty (an
   * empty queue takes no run, MAX_QUEUED_RUNS=0, but one that fits may still start). Answered
   * from two numbers, so a flood of requests can be refused before anything else is read.
   */
  get refusesEveryRun(): boolean {
    const waiting = this.waiting;
    return (
      waiting >= this.limits.maxQueuedRuns &&
      (waiting > 0 || this.activeRuns >= this.limits.maxActiveRuns)
    );
  }

  /**
   * Gives the run room (it will start or be queued once `offer`ed), or throws
   * `TooManyRunsException` when the queue is full. Until `offer` or `unreserve`, the room counts as
   * queued: requests that are journaling their runs at once cannot overfill the queue together.
   */
  reserve(run: T): void {
    this.assertRoom(run);
    this.reserved++;
  }

  /** A reserved run that will not be offered (it could not be journaled) gives its room back. */
  unreserve(): void {
    this.reserved--;
    this.admitWaiting();
  }

  /** The refusal of a run for a full queue; its message gives the figures. */
  queueFull(): TooManyRunsException {
    return new TooManyRunsException(
      `${this.activeRuns} run(s) active and ${this.waiting} queued: the queue is full ` +
        `(MAX_QUEUED_RUNS=${this.limits.maxQueuedRuns}); retry when a run has ended`,
      QUEUE_FULL_RETRY_SECONDS,
    );
  }

  /**
   * Admits the run now or queues it. `room`: `reserved` by `reserve` before; `taken` for a run an
   * earlier life of the client had accepted already, which comes back whatever the queue holds.
   */
  offer(run: T, room: 'reserved' | 'taken'): void {
    if (room === 'reserved') this.reserved--;
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

  private get waiting(): number {
    return this.queue.length + this.reserved;
  }

  /** Throws `TooManyRunsException` when the queue is full, unless the run can start now. */
  private assertRoom(run: T): void {
    const waiting = this.waiting;
    if (waiting === 0 && this.fits(run)) return;
    if (waiting >= this.limits.maxQueuedRuns) throw this.queueFull();
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
