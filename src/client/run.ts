import type { SaverStatus, Task } from '../common/contracts/messages.js';

export type RunState = 'sending' | 'saving' | 'completed' | 'failed';

export interface RunShape {
  readonly connectionCount: number;
  readonly connectionValue: number;
  readonly delayRange: number;
}

/** What `GET /` and `GET /runs/:runId` answer. */
export interface RunView extends RunShape {
  readonly runId: string;
  readonly total: number;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly resent: number;
  readonly written: number;
  readonly state: RunState;
  readonly file: string;
  readonly elapsedMs: number;
  /** From the saver: the seq the file waits for, results held for it, and for how long. */
  readonly waitingFor: number;
  readonly buffered: number;
  readonly duplicates: number;
  readonly stalledMs: number;
  /** Why the run failed. */
  readonly error?: string;
  /** The latest failure on the way (a peer or broker that did not answer), even if it recovered. */
  readonly lastError?: string;
}

/**
 * One run as the client sees it. Every task it sent is kept in typed arrays (20 bytes a task) so
 * that what the saver lacks can be sent again without holding a million objects.
 */
export class Run {
  readonly total: number;
  readonly startedAt = Date.now();
  private sentCount = 0;
  acked = 0;
  failed = 0;
  resent = 0;
  private state: RunState = 'sending';
  private endedAt?: number;
  private error?: string;
  private lastError?: string;
  private saver?: SaverStatus;
  private conns: Uint32Array;
  private idxs: Uint32Array;
  private values: Int32Array;
  private sentAts: Float64Array;
  private readonly whenSettled: Promise<void>;
  private settle!: () => void;
  private readonly whenAcknowledged: Promise<void>;
  private acknowledge!: () => void;

  constructor(
    readonly runId: string,
    readonly shape: RunShape,
    private file: string,
  ) {
    this.total = shape.connectionCount * shape.connectionValue;
    this.conns = new Uint32Array(this.total + 1);
    this.idxs = new Uint32Array(this.total + 1);
    this.values = new Int32Array(this.total + 1);
    this.sentAts = new Float64Array(this.total + 1);
    this.whenSettled = new Promise((resolve) => (this.settle = resolve));
    this.whenAcknowledged = new Promise((resolve) => (this.acknowledge = resolve));
  }

  get sent(): number {
    return this.sentCount;
  }

  get current(): RunState {
    return this.state;
  }

  /** Settles when every task is acknowledged or has failed (or the run ended before). */
  get acknowledged(): Promise<void> {
    return this.whenAcknowledged;
  }

  /** Settles when the run is completed or has failed. */
  get settled(): Promise<void> {
    return this.whenSettled;
  }

  /** Takes the next seq (the run's one counter) and records the task sent with it. */
  nextTask(conn: number, idx: number, value: number): Task {
    const seq = ++this.sentCount;
    const sentAt = Date.now();
    this.conns[seq] = conn;
    this.idxs[seq] = idx;
    this.values[seq] = value;
    this.sentAts[seq] = sentAt;
    return this.task(seq);
  }

  /** The task sent with `seq`, unchanged, for sending it again. */
  task(seq: number): Task {
    return {
      runId: this.runId,
      seq,
      total: this.total,
      conn: this.conns[seq],
      idx: this.idxs[seq],
      value: this.values[seq],
      sentAt: this.sentAts[seq],
      delayRange: this.shape.delayRange,
    };
  }

  sendingDone(): void {
    if (this.state === 'sending') this.state = 'saving';
    this.acknowledge();
  }

  observe(status: SaverStatus): void {
    this.saver = status;
    this.file = status.file;
    if (status.state === 'completed') this.end('completed');
  }

  /** Records a failure on the way, shown in the run's state; the run goes on. */
  noteError(reason: string): void {
    this.lastError = reason;
  }

  fail(reason: string): void {
    this.error = reason;
    this.end('failed');
  }

  view(): RunView {
    return {
      runId: this.runId,
      ...this.shape,
      total: this.total,
      sent: this.sentCount,
      acked: this.acked,
      failed: this.failed,
      resent: this.resent,
      written: this.saver?.written ?? 0,
      state: this.state,
      file: this.file,
      elapsedMs: (this.endedAt ?? Date.now()) - this.startedAt,
      waitingFor: this.saver?.waitingFor ?? 1,
      buffered: this.saver?.buffered ?? 0,
      duplicates: this.saver?.duplicates ?? 0,
      stalledMs: this.saver?.stalledMs ?? 0,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private end(state: 'completed' | 'failed'): void {
    if (this.state === 'completed' || this.state === 'failed') return;
    this.state = state;
    this.endedAt = Date.now();
    // Kept only to send tasks again while the run is live: a settled run lets them go.
    this.conns = new Uint32Array(0);
    this.idxs = new Uint32Array(0);
    this.values = new Int32Array(0);
    this.sentAts = new Float64Array(0);
    this.acknowledge();
    this.settle();
  }
}
