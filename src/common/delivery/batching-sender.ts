import { Logger } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import type { BoundedSlots } from '../bounded-slots.js';
import type { Batch, BatchAnswer, ItemAnswer } from '../contracts/messages.js';
import { refuseForNow } from './refusal.js';
import type { Sign } from '../contracts/message-signature.js';
import { requestOnce } from './request-with-retry.js';

/** One connection of a link and the bound on its requests in flight. */
export interface Lane {
  readonly proxy: ClientProxy;
  readonly slots: BoundedSlots;
}

interface Waiting<I, A> {
  readonly item: I;
  /** How long the item's request may be in flight; also how long it may wait for a connection. */
  readonly timeoutMs: number;
  /** Epoch ms. */
  readonly submittedAt: number;
  readonly resolve: (answer: A) => void;
  readonly reject: (error: unknown) => void;
}

export interface BatchingOptions {
  /** Items in one batch, at most (HOP_BATCH_MAX). */
  readonly maxItems: number;
  /** Items waiting for a connection, at most (LINK_QUEUE); the next one is refused for now. */
  readonly maxWaiting: number;
  /**
   * The pattern that takes one item, for a peer that does not take batches (an older or a
   * hand-written one: it answers that no handler matches); then items go one by one for a while.
   */
  readonly singlePattern?: string;
  /** Signs each message as it leaves (MESSAGE_KEY): a batch once, or each item sent alone. */
  readonly sign?: Sign;
}

/** How long items go one by one once the peer said it takes no batches, before a batch is tried again. */
const SINGLES_MS = 60_000;

/**
 * Takes items one at a time and sends them as `Batch`es: what is submitted within one turn of the
 * event loop leaves together (at most `maxItems` a batch), and while every connection's window is
 * full, what comes meanwhile waits and leaves in the next batch, as Nagle's algorithm does. So a
 * batch never waits for company: an item leaves as soon as a connection has room.
 *
 * An item waits for a connection at most its timeout (then it fails as a transport failure:
 * never sent, it is safe to try again), and once sent it has its whole timeout to be answered. A batch's answer
 * carries one answer per item (`BatchAnswer`), so an item fails or is refused on its own.
 * Retrying is the caller's business, item by item (`withRetry`): a retried item joins a later
 * batch, and receivers are idempotent per item, so a batch sent again is safe too.
 */
export class BatchingSender<I, A> {
  private readonly queue: Waiting<I, A>[] = [];
  private pumping = false;
  private singlesUntil = 0;

  constructor(
    private readonly pattern: string,
    private readonly options: BatchingOptions,
    /** A connection with a free slot (waited for within the link's bounds); released after use. */
    private readonly takeLane: () => Promise<Lane>,
    /** Seconds from an item's submission to its answer, for each item answered. */
    private readonly observeLatency?: (seconds: number) => void,
    /** Called for each message sent (a batch, or an item sent on its own). */
    private readonly countMessage?: () => void,
  ) {}

  /** Items waiting for a connection now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Sends `item` in the next batch; answers with its own answer, or rejects with its own error. */
  submit(item: I, timeoutMs: number): Promise<A> {
    if (this.queue.length >= this.options.maxWaiting) {
      // As the receiver's refusal would come: the plain shape, which the caller's retry knows.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(
        refuseForNow(
          `${this.pattern}: ${this.queue.length} item(s) wait for a connection (LINK_QUEUE)`,
        ).getError(),
      );
    }
    return new Promise<A>((resolve, reject) => {
      this.queue.push({ item, timeoutMs, submittedAt: Date.now(), resolve, reject });
      if (this.pumping) return;
      this.pumping = true;
      // Whatever else is submitted in this turn of the event loop joins the batch.
      setImmediate(() => void this.pump());
    });
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let lane: Lane;
        try {
          lane = await this.takeLane();
        } catch (error) {
          // No connection will have room soon (its line is full): everyone waiting hears it.
          for (const waiting of this.queue.splice(0)) waiting.reject(error);
          return;
        }
        void this.send(lane, this.queue.splice(0, this.options.maxItems));
      }
    } finally {
      this.pumping = false;
    }
  }

  private async send(lane: Lane, batch: Waiting<I, A>[]): Promise<void> {
    const now = Date.now();
    const live: Waiting<I, A>[] = [];
    let timeoutMs = 1;
    for (const waiting of batch) {
      const waitedMs = now - waiting.submittedAt;
      if (waitedMs >= waiting.timeoutMs) {
        // Never sent, so no copy of it is on its way: trying again makes no duplicate. A transport
        // failure (no connection had room), so the caller's deadline, not its patience, applies.
        waiting.reject(new Error(`${this.pattern}: no connection had room within ${waitedMs} ms`));
        continue;
      }
      live.push(waiting);
      // The longest: an item retried near its deadline (a short timeout) must not cut the batch's
      // time short and make every other item of it be sent again.
      if (waiting.timeoutMs > timeoutMs) timeoutMs = waiting.timeoutMs;
    }
    try {
      if (live.length === 0) return;
      if (Date.now() < this.singlesUntil) return await this.sendOneByOne(lane, live);
      const batch: Batch<I> = { items: live.map((waiting) => waiting.item) };
      const message = this.options.sign ? this.options.sign(this.pattern, batch) : batch;
      this.countMessage?.();
      // Timed from the sending: a request that was sent must have its whole time to be answered,
      // or it would be sent again while the first copy is still being handled (a duplicate).
      const answer = await requestOnce<BatchAnswer<A>>(
        lane.proxy,
        this.pattern,
        message,
        timeoutMs,
      );
      const answers: unknown = answer?.answers;
      if (!Array.isArray(answers) || answers.length !== live.length) {
        throw new Error(`${this.pattern}: the answer does not match the batch`);
      }
      this.settle(live, answers as readonly ItemAnswer<A>[]);
    } catch (error) {
      if (error === NO_MESSAGE_HANDLER && this.options.singlePattern) {
        this.takesNoBatches();
        return await this.sendOneByOne(lane, live);
      }
      // A transport failure (or a refusal of the whole batch) is every item's.
      for (const waiting of live) waiting.reject(error);
    } finally {
      lane.slots.release();
    }
  }

  private takesNoBatches(): void {
    if (Date.now() >= this.singlesUntil) {
      new Logger(BatchingSender.name).warn(
        `the peer has no handler for ${this.pattern}: sending ${this.options.singlePattern} one by one for ${SINGLES_MS / 1000} s`,
      );
    }
    this.singlesUntil = Date.now() + SINGLES_MS;
  }

  /**
   * Each item on its own, one after the other under the batch's one slot on `lane`: a window
   * counts requests in flight on a connection, and an older peer gets no more than it allows.
   */
  private async sendOneByOne(lane: Lane, live: readonly Waiting<I, A>[]): Promise<void> {
    const pattern = this.options.singlePattern ?? this.pattern;
    for (const waiting of live) {
      this.countMessage?.();
      const item = this.options.sign ? this.options.sign(pattern, waiting.item) : waiting.item;
      await requestOnce<A>(lane.proxy, pattern, item, waiting.timeoutMs).then(
        (answer) => this.answered(waiting, answer),
        (error: unknown) => waiting.reject(error),
      );
    }
  }

  private answered(waiting: Waiting<I, A>, answer: A): void {
    this.observeLatency?.((Date.now() - waiting.submittedAt) / 1000);
    waiting.resolve(answer);
  }

  private settle(live: readonly Waiting<I, A>[], answers: readonly ItemAnswer<A>[]): void {
    for (let at = 0; at < live.length; at++) {
      const itemAnswer = answers[at];
      if ('ok' in itemAnswer) this.answered(live[at], itemAnswer.ok);
      else live[at].reject(itemAnswer.error);
    }
  }
}
