import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { INSTANCE_ID } from '../common/instance-id.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoundedSlots, NoSlotError } from '../common/bounded-slots.js';
import type { Result, ResultReceipt, Task } from '../common/contracts/messages.js';
import { describeError } from '../common/describe-error.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { InjectHop } from '../common/delivery/hops.js';
import { messageFinishesWith } from '../common/delivery/message-work.js';
import type { ItemSend } from '../common/delivery/peer-link.js';
import { isHandlerError, isRetryableRefusal, refuseForNow } from '../common/delivery/refusal.js';
import type { TaskRefusal } from '../ops/pipeline-metrics.js';
import { DueQueue } from './due-queue.js';

/**
 * Processes tasks after their random delay and hands each result to the saver. It holds at most
 * PROCESSOR_MAX_HELD tasks (waiting for their delay or for the saver): a task that comes when it is
 * full waits for room, up to a quarter of REQUEST_TIMEOUT_MS, before it is acknowledged; after that
 * it is refused for now and its sender waits and sends it again. So the acknowledgement is still
 * "at once" whenever there is room, and when there is none the pressure reaches the client.
 */
@Injectable()
export class ProcessorService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ProcessorService.name);
  /** host:pid, written on every result so that the spread over processor instances shows. */
  readonly id = INSTANCE_ID;
  /**
   * Tasks taken and not yet handed to the saver, by run, then seq (no key string per task: at
   * `PROCESSOR_MAX_HELD` that is a hundred thousand strings).
   */
  private readonly inFlight = new Map<string, Map<number, Promise<boolean>>>();
  /** Every held task's delay, on one timer. */
  private readonly delays = new DueQueue();
  private readonly room: BoundedSlots;
  private readonly maxDelayMs: number;
  private readonly stopped = new AbortController();
  private readonly handOffFailures = new ThrottledLog(this.logger, 'error');
  /** One throttled warning per reason; a full processor is routine under load: a line every 10 s. */
  private readonly refusalLogs: Record<TaskRefusal, ThrottledLog> = {
    processor_full: new ThrottledLog(this.logger, 'warn', 10_000),
    delay_above_max: new ThrottledLog(this.logger, 'warn'),
    result_refused_by_saver: new ThrottledLog(this.logger, 'warn'),
  };
  private countRefusal?: (reason: TaskRefusal) => void;

  constructor(
    @InjectHop('saver') private readonly toSaver: ItemSend<Result, ResultReceipt>,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    // Waiting in line: what an honest server can have in flight toward this processor.
    this.room = new BoundedSlots(
      settings.processorMaxHeld,
      settings.linkWindow * settings.linkSockets * settings.hopBatchMax,
      Math.max(1, Math.floor(settings.requestTimeoutMs / 4)),
    );
    this.maxDelayMs = settings.limits.maxDelaySeconds * 1000;
    // Every result waiting out a retry listens to it (and lets go when its wait ends): while a
    // peer is away that is thousands at once, which is no leak.
    setMaxListeners(0, this.stopped.signal);
  }

  /**
   * Takes a task once there is room for it (the promise settles then: the moment to answer), then
   * processes it in the background. Its processing is the work of the message that brought it
   * (`messageFinishesWith`): done for good once its result is with the saver, or the saver refused
   * it for good (its run ended there); answered as that (never rejects). A task this processor
   * already holds (sent again after a timeout, or redelivered) is not taken twice.
   */
  async take(task: Task): Promise<void> {
    messageFinishesWith((await this.taken(task)).processed);
  }

  /** The task taken (or found held), and its processing. */
  private async taken(task: Task): Promise<{ processed: Promise<boolean> }> {
    if (task.delayRange * 1000 > this.maxDelayMs) {
      const message = `delayRange ${task.delayRange} s is above this processor's MAX_DELAY (${this.maxDelayMs / 1000} s)`;
      this.refused('delay_above_max', `run ${task.runId} seq ${task.seq}: ${message}`);
      throw new RpcException(message);
    }
    const held = this.heldTask(task);
    if (held) return { processed: held };
    try {
      await this.room.acquire();
    } catch (error) {
      if (!(error instanceof NoSlotError)) throw error;
      const message = `the processor holds ${this.room.held} task(s) (PROCESSOR_MAX_HELD=${this.room.capacity}): ${error.message}`;
      this.refused('processor_full', `run ${task.runId} seq ${task.seq}: ${message}; sent again`);
      throw refuseForNow(message);
    }
    const again = this.heldTask(task);
    if (again) {
      this.room.release();
      return { processed: again };
    }
    const seqs = this.heldOfRun(task.runId);
    const work = this.process(task).finally(() => {
      seqs.delete(task.seq);
      if (seqs.size === 0 && this.inFlight.get(task.runId) === seqs)
        this.inFlight.delete(task.runId);
      this.room.release();
    });
    seqs.set(task.seq, work);
    return { processed: work };
  }

  /** Calls `count` with the reason of every task refused or result dropped (none: stops). */
  countRefusals(count: ((reason: TaskRefusal) => void) | undefined): void {
    this.countRefusal = count;
  }

  /** Tasks taken but not yet handed to the saver. */
  get pending(): number {
    return this.room.held;
  }

  /** The most tasks held at once since start (never more than PROCESSOR_MAX_HELD). */
  get peakHeld(): number {
    return this.room.peak;
  }

  /**
   * Lets tasks in flight finish while the saver link is still open, within four fifths of the
   * shutdown bound: the rest is the saver's, to write and sync what it was handed.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.pending === 0) return;
    this.logger.log(`waiting for ${this.pending} task(s) in flight`);
    const waitMs = Math.floor(this.settings.shutdownTimeoutMs * 0.8);
    const bound = sleep(waitMs, 'timeout' as const, { ref: false });
    const outcome = await Promise.race([
      Promise.all([...this.inFlight.values()].flatMap((seqs) => [...seqs.values()])).then(
        () => 'done' as const,
      ),
      bound,
    ]);
    if (outcome === 'timeout') {
      this.logger.warn(
        `${this.pending} task(s) still in flight at shutdown; the client's repair re-sends them`,
      );
    }
  }

  /** Ends the waits of whatever is still held (its hand-off retries), so nothing outlives the stop. */
  onApplicationShutdown(): void {
    this.stopped.abort();
    this.delays.wakeAll();
  }

  private heldTask(task: Task): Promise<boolean> | undefined {
    return this.inFlight.get(task.runId)?.get(task.seq);
  }

  private heldOfRun(runId: string): Map<number, Promise<boolean>> {
    let seqs = this.inFlight.get(runId);
    if (!seqs) {
      seqs = new Map();
      this.inFlight.set(runId, seqs);
    }
    return seqs;
  }

  private async process(task: Task): Promise<boolean> {
    const delayMs = randomInt(0, Math.round(task.delayRange * 1000) + 1);
    // No abort listener per task: ten thousand held tasks would make each removal a long scan of
    // the signal's listeners; the stop wakes every delay at once instead.
    if (delayMs > 0) await this.delays.wait(delayMs);
    if (this.stopped.signal.aborted) return false;
    const result: Result = { ...task, processedAt: Date.now(), delayMs, processor: this.id };
    try {
      await this.toSaver(result, this.stopped.signal);
      return true;
    } catch (error) {
      if (this.stopped.signal.aborted) return false;
      // A refusal for good (the run failed or was cancelled at the saver) finishes the task: there
      // is nothing more to do with it, and on RabbitMQ its message must not be delivered again for
      // ever. Anything else is not lost for good: the client asks the saver what is missing and
      // sends it again (and on RabbitMQ the message is delivered again).
      if (isHandlerError(error) && !isRetryableRefusal(error)) {
        this.refused(
          'result_refused_by_saver',
          `run ${task.runId} seq ${task.seq}: the saver refused the result (${describeError(error)}); dropped`,
        );
        return true;
      }
      if (!isHandlerError(error)) {
        this.handOffFailures.report(
          `run ${task.runId} seq ${task.seq}: hand-off failed (${describeError(error)})`,
        );
      }
      return false;
    }
  }

  private refused(reason: TaskRefusal, message: string): void {
    this.countRefusal?.(reason);
    this.refusalLogs[reason].report(`task refused (${reason}): ${message}`);
  }
}
