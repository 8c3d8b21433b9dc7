import { setMaxListeners } from 'node:events';
import { isFinal, type RunShape, type RunState, type RunView } from '../common/contracts/http.js';
import type { SaverStatus, Task } from '../common/contracts/messages.js';
import type { TaskColumns } from './journal/journal-frames.js';
import type { JournaledTasks } from './journal/run-journal.js';
import { taskValue } from './journal/task-value.js';
import type { RunEvent, RunEventKind } from './run-events.js';
import { SendCredit } from './send-credit.js';
import type { UnwrittenBudget } from './unwritten-budget.js';

/** Where a run stands when a client resumes it: what an earlier life of the client did. */
export interface RunPast {
  /** When the run was first accepted (epoch ms). */
  readonly createdAt: number;
  readonly restarts: number;
  readonly resumedAt?: number;
  /** The seqs it had taken, from the journal: resumed with these, the next seq after them. */
  readonly tasks?: JournaledTasks;
}

const noPublisher = (): void => undefined;

/**
 * One run as the client sees it. Its counters change only through its methods, and each change is
 * published as a `RunEvent`. Every task it sent is kept in typed arrays (24 bytes a task) so that
 * what the saver lacks can be sent again without holding a million objects; they are allocated
 * when the run is admitted, so a queued run costs next to nothing.
 */
export class Run {
  readonly total: number;
  readonly createdAt: number;
  /** Task values are `taskValue(seed, conn, idx)`: the same in every life of the client. */
  readonly seed: number;
  private sentCount = 0;
  private ackedCount = 0;
  private failedCount = 0;
  private resentCount = 0;
  private repairs = 0;
  private ackMs = 0;
  private state: RunState = 'queued';
  private endedAt?: number;
  private error?: string;
  private lastError?: string;
  private saver?: SaverStatus;
  private conns = new Uint32Array(0);
  private idxs = new Uint32Array(0);
  private values = new Int32Array(0);
  private sentAts = new Float64Array(0);
  /** The idx each connection sends next (1-based connections; 0 unused). */
  private nextIdx = new Uint32Array(0);
  private readonly restarts: number;
  private readonly resumedAt?: number;
  private past?: JournaledTasks;
  /** The final view of a run of an earlier life, read back from the journal. */
  private frozen?: RunView;
  /**
   * When the task's first send was answered (acknowledged or given up on), in ms since the run was
   * created, plus 1; 0 while it is not.
   */
  private answeredAt = new Uint32Array(0);
  private readonly stopper = new AbortController();
  private readonly whenSettled: Promise<void>;
  private settle!: () => void;
  private readonly whenAcknowledged: Promise<void>;
  private acknowledge!: () => void;
  private readonly events: Readonly<Record<RunEventKind, RunEvent>>;
  private readonly publish: (event: RunEvent) => void;
  /**
   * Sends wait here while the run has `reorderWindow` tasks sent and not written, or the client's
   * runs together have their budget's worth.
   */
  readonly credit: SendCredit;

  constructor(
    readonly runId: string,
    readonly shape: RunShape,
    private file: string,
    options: {
      reorderWindow: number;
      /** Task values are `taskValue(seed, conn, idx)`: the same in every life of the client. */
      seed: number;
      /** Shared with the client's other runs: what they all hold unwritten, at most. */
      budget?: UnwrittenBudget;
      publish?: (event: RunEvent) => void;
      /** What earlier lives of the client did, for a run that is resumed. */
      past?: RunPast;
    },
  ) {
    this.total = shape.connectionCount * shape.connectionValue;
    this.seed = options.seed;
    this.createdAt = options.past?.createdAt ?? Date.now();
    this.restarts = options.past?.restarts ?? 0;
    this.resumedAt = options.past?.resumedAt;
    this.past = options.past?.tasks;
    // Every request of the run that waits (a retry's backoff, a send) listens for the run's end.
    setMaxListeners(0, this.stopper.signal);
    this.credit = new SendCredit(options.reorderWindow, options.budget);
    this.publish = options.publish ?? noPublisher;
    this.whenSettled = new Promise((resolve) => (this.settle = resolve));
    this.whenAcknowledged = new Promise((resolve) => (this.acknowledge = resolve));
    const event = (kind: RunEventKind): RunEvent => Object.freeze({ run: this, kind });
    this.events = {
      sent: event('sent'),
      acked: event('acked'),
      failed: event('failed'),
      resent: event('resent'),
      saver: event('saver'),
      repair: event('repair'),
      state: event('state'),
    };
  }

  /**
   * A run of an earlier life that had ended: it answers its final view and nothing else happens
   * to it.
   */
  static ended(view: RunView, seed: number, createdAt: number): Run {
    const run = new Run(view.runId, view, view.file, {
      reorderWindow: 1,
      seed,
      past: { createdAt, restarts: view.restarts },
    });
    run.frozen = view;
    run.state = view.state;
    run.stopper.abort();
    run.acknowledge();
    run.settle();
    return run;
  }

  get sent(): number {
    return this.sentCount;
  }

  get current(): RunState {
    return this.state;
  }

  /** Whether the run resumes an earlier life's tasks (it has seqs it must check at the saver). */
  get resumed(): boolean {
    return this.restarts > 0 && this.sentCount > 0;
  }

  /** The idx the connection sends next: 1, or the one after its last journaled task. */
  firstIdx(conn: number): number {
    return this.nextIdx[conn] || 1;
  }

  /** The tasks taken so far, by seq, while the run is live (for the journal). */
  get taskColumns(): TaskColumns | undefined {
    if (this.conns.length === 0) return undefined;
    return { conns: this.conns, idxs: this.idxs, sentAts: this.sentAts };
  }

  /** Aborted when the run is cancelled, interrupted or has ended: nothing more is sent for it. */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  /** Milliseconds from send to acknowledgement of the latest acknowledged task. */
  get lastAckMs(): number {
    return this.ackMs;
  }

  /** Settles when every task is acknowledged or has failed (or the run ended before). */
  get acknowledged(): Promise<void> {
    return this.whenAcknowledged;
  }

  /** Settles when the run has ended, whichever way. */
  get settled(): Promise<void> {
    return this.whenSettled;
  }

  /** The run leaves the queue and starts sending. */
  admit(): void {
    if (this.state !== 'queued') return;
    const past = this.past;
    this.past = undefined;
    this.conns = past?.columns.conns ?? new Uint32Array(this.total + 1);
    this.idxs = past?.columns.idxs ?? new Uint32Array(this.total + 1);
    this.sentAts = past?.columns.sentAts ?? new Float64Array(this.total + 1);
    this.values = new Int32Array(this.total + 1);
    this.answeredAt = new Uint32Array(this.total + 1);
    this.nextIdx = new Uint32Array(this.shape.connectionCount + 1);
    if (past) this.takeBack(past.count);
    this.moveTo('sending');
  }

  /**
   * The seqs an earlier life took are this run's again: each connection goes on after its last
   * one, and each counts as acknowledged and answered now (what the saver lacks of them is sent
   * again at once and counted in `resent`; the repair may send one again once the patience is
   * over, as for any task whose result never came).
   */
  private takeBack(count: number): void {
    const answered = Date.now() - this.createdAt + 1;
    for (let seq = 1; seq <= count; seq++) {
      const conn = this.conns[seq];
      this.values[seq] = taskValue(this.seed, conn, this.idxs[seq]);
      this.nextIdx[conn] = Math.max(this.nextIdx[conn], this.idxs[seq] + 1);
      this.answeredAt[seq] = answered;
    }
    this.sentCount = count;
    this.ackedCount = count;
    this.credit.resume(count);
  }

  /** Takes the next seq (the run's one counter) and records the task sent with it. */
  nextTask(conn: number, idx: number): Task {
    const seq = ++this.sentCount;
    this.conns[seq] = conn;
    this.idxs[seq] = idx;
    this.values[seq] = taskValue(this.seed, conn, idx);
    this.sentAts[seq] = Date.now();
    this.publish(this.events.sent);
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

  /**
   * Whether the first send of `seq` was answered at least `ms` ago: only then is its absence a gap.
   * Unanswered, it is on its way; and a task acknowledged later than it was sent (it waited for
   * room at the processor, or for the client's budget) may still be in its delay well after the
   * file went quiet.
   */
  answeredAgo(seq: number, ms: number): boolean {
    const at = this.answeredAt[seq];
    return at > 0 && this.createdAt + at - 1 <= Date.now() - ms;
  }

  recordAck(task: Task): void {
    this.markAnswered(task.seq);
    this.ackedCount++;
    this.ackMs = Date.now() - task.sentAt;
    this.publish(this.events.acked);
  }

  /** A task given up on after every retry (the repair may still bring it to the file). */
  recordFailure(task: Task, reason: string): void {
    this.markAnswered(task.seq);
    this.failedCount++;
    this.lastError = reason;
    this.publish(this.events.failed);
  }

  recordResent(): void {
    this.resentCount++;
    this.publish(this.events.resent);
  }

  /** A repair round starts; a failure of the round is noted with `noteError`. */
  recordRepairRound(): void {
    this.repairs++;
    this.publish(this.events.repair);
  }

  sendingDone(): void {
    if (this.state === 'sending') this.moveTo('saving');
    this.acknowledge();
  }

  observe(status: SaverStatus): void {
    this.saver = status;
    this.file = status.file;
    this.credit.slide(status.written);
    this.publish(this.events.saver);
    if (status.state === 'completed') this.end('completed');
  }

  /** Records a failure on the way, shown in the run's state; the run goes on. */
  noteError(reason: string): void {
    this.lastError = reason;
  }

  fail(reason: string): void {
    this.end('failed', reason);
  }

  /** Stops sending at once; the run ends `cancelled`. Answers false for a run that had ended. */
  cancel(reason = 'cancelled by request'): boolean {
    if (isFinal(this.state)) return false;
    this.end('cancelled', reason);
    return true;
  }

  /** The client is stopping: nothing more is sent; what was sent may still reach the file. */
  interrupt(reason: string): void {
    this.end('interrupted', reason);
  }

  view(): RunView {
    if (this.frozen) return this.frozen;
    return {
      runId: this.runId,
      ...this.shape,
      total: this.total,
      sent: this.sentCount,
      acked: this.ackedCount,
      failed: this.failedCount,
      resent: this.resentCount,
      repairRounds: this.repairs,
      written: this.saver?.written ?? 0,
      state: this.state,
      file: this.file,
      elapsedMs: (this.endedAt ?? Date.now()) - this.createdAt,
      waitingFor: this.saver?.waitingFor ?? 1,
      buffered: this.saver?.buffered ?? 0,
      duplicates: this.saver?.duplicates ?? 0,
      stalledMs: this.saver?.stalledMs ?? 0,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      restarts: this.restarts,
      ...(this.resumedAt === undefined ? {} : { resumedAt: this.resumedAt }),
    };
  }

  private markAnswered(seq: number): void {
    this.answeredAt[seq] = Date.now() - this.createdAt + 1;
  }

  private moveTo(state: RunState): void {
    this.state = state;
    this.publish(this.events.state);
  }

  private end(state: 'completed' | 'failed' | 'cancelled' | 'interrupted', reason?: string): void {
    if (isFinal(this.state)) return;
    this.error = reason;
    this.endedAt = Date.now();
    this.stopper.abort();
    // Kept only to send tasks again while the run is live: an ended run lets them go.
    this.conns = new Uint32Array(0);
    this.idxs = new Uint32Array(0);
    this.values = new Int32Array(0);
    this.sentAts = new Float64Array(0);
    this.answeredAt = new Uint32Array(0);
    this.past = undefined;
    this.credit.openAll();
    this.moveTo(state);
    this.acknowledge();
    this.settle();
  }
}
