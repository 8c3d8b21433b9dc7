import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory } from '@nestjs/microservices';
import { BoundedSlots, NoSlotError } from '../bounded-slots.js';
import { describeError } from '../describe-error.js';
import type { PeerRole, Settings } from '../settings/settings.js';
import { refuseForNow } from './refusal.js';
import { BatchingSender, type Lane } from './batching-sender.js';
import {
  requestWithRetry,
  singleAttempt,
  withRetry,
  type RetryPolicy,
} from './request-with-retry.js';
import { signerOf, type Sign } from '../contracts/message-signature.js';
import { clientOptions, describePeer } from '../transport/transport-options.js';
import { shardOf } from '../transport/wire-names.js';

/** Sends one item through a batching link: its own answer, or its own error. */
export type ItemSend<I, A> = (item: I, signal?: AbortSignal) => Promise<A>;

/**
 * A module's link to a peer role: several connections, each with a bounded number of requests in
 * flight (`LINK_WINDOW`) and a bounded line of requests waiting for one (`LINK_QUEUE`). The bound in
 * flight matters: a Nest TCP socket with too many requests in flight in both directions can
 * deadlock (see docs/NEST12-NOTES.md). When the line is full the request is refused for now, and
 * that refusal travels back to whoever sent it, who waits and sends again.
 */
export class PeerLink implements OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly lanes: Lane[];
  private readonly senders: BatchingSender<unknown, unknown>[] = [];
  private nextLane = 0;
  private latencyObserver?: (seconds: number) => void;
  private messageCounter?: () => void;
  /** Who this link talks to, for errors: `processor at 127.0.0.1:5002`. */
  readonly peer: string;
  /** Signs what leaves (MESSAGE_KEY); once per message, so a retry sends the same bytes. */
  private readonly sign: Sign;

  constructor(
    private readonly settings: Settings,
    readonly role: PeerRole,
    private readonly policy: RetryPolicy,
    /** Which saver, when there are several (`SaverLinks`). */
    which = 0,
  ) {
    this.peer = describePeer(settings, role, which);
    const shard = shardOf(settings, role, which);
    this.logger = new Logger(`PeerLink(${shard === undefined ? role : `${role} ${shard}`})`);
    this.sign = signerOf(settings);
    this.lanes = Array.from({ length: settings.linkSockets }, () => ({
      proxy: ClientProxyFactory.create(clientOptions(settings, role, which)),
      slots: new BoundedSlots(settings.linkWindow, settings.linkQueue, 0),
    }));
  }

  /**
   * Sends a request on the least busy connection, retrying within the link's policy. A transport
   * failure that outlasts it is thrown as an Error that names the peer and the cause.
   */
  send<R>(pattern: string, data: unknown, signal?: AbortSignal): Promise<R> {
    return this.sendWith<R>(pattern, data, this.policy, signal);
  }

  /**
   * One attempt, no retry (for a caller that asks again anyway), within `timeoutMs` if given
   * (a readiness ping must answer quicker than a request may take).
   */
  sendOnce<R>(pattern: string, data: unknown, timeoutMs?: number): Promise<R> {
    const once = singleAttempt(this.policy);
    return this.sendWith<R>(
      pattern,
      data,
      timeoutMs === undefined ? once : { ...once, timeoutMs, deadlineMs: timeoutMs },
    );
  }

  /**
   * Sends items for `pattern` in batches (`BatchingSender`, at most HOP_BATCH_MAX items each),
   * on the same connections and windows as single requests; each item is retried on its own
   * within the link's policy and answered with its own answer.
   */
  batched<I, A>(pattern: string, singlePattern?: string): ItemSend<I, A> {
    const sender = new BatchingSender<I, A>(
      pattern,
      {
        maxItems: this.settings.hopBatchMax,
        // LINK_QUEUE messages' worth of items: the bounds upstream (PROCESSOR_MAX_HELD, the
        // clients' windows) keep it far lower; refusing items at this hop would only add retries.
        maxWaiting: this.settings.linkQueue * this.settings.hopBatchMax,
        singlePattern,
        sign: this.sign,
      },
      () => this.takeLane(),
      (seconds) => this.latencyObserver?.(seconds),
      () => this.messageCounter?.(),
    );
    this.senders.push(sender as BatchingSender<unknown, unknown>);
    return async (item, signal) => {
      try {
        return await withRetry(
          (timeoutMs) => sender.submit(item, timeoutMs),
          pattern,
          this.policy,
          signal,
        );
      } catch (error) {
        throw withPeer(this.peer, error);
      }
    };
  }

  /** Called for each message sent on the link (a batch counts once; retries are not counted). */
  countMessages(counter: (() => void) | undefined): void {
    this.messageCounter = counter;
  }

  /** Called with the seconds from each request to its answer (retries included), for the metrics. */
  observeLatency(observer: ((seconds: number) => void) | undefined): void {
    this.latencyObserver = observer;
  }

  /**
   * Requests in flight plus requests waiting for a slot, over every connection, and items waiting
   * to leave in a batch.
   */
  get pending(): number {
    const requests = this.lanes.reduce(
      (sum, lane) => sum + lane.slots.held + lane.slots.waiting,
      0,
    );
    return this.senders.reduce((sum, sender) => sum + sender.waiting, requests);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.lanes.map(async (lane) => void (await lane.proxy.close())));
    this.logger.debug('closed');
  }

  private async sendWith<R>(
    pattern: string,
    data: unknown,
    policy: RetryPolicy,
    signal?: AbortSignal,
  ): Promise<R> {
    const lane = await this.takeLane();
    this.messageCounter?.();
    const started = this.latencyObserver ? performance.now() : 0;
    try {
      const signed = this.sign(pattern, data);
      const answer = await requestWithRetry<R>(lane.proxy, pattern, signed, policy, signal);
      this.latencyObserver?.((performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      throw withPeer(this.peer, error);
    } finally {
      lane.slots.release();
    }
  }

  /** The least busy connection, once it has a free slot (the caller releases it). */
  private async takeLane(): Promise<Lane> {
    const lane = this.pickLane();
    try {
      await lane.slots.acquire();
    } catch (error) {
      if (!(error instanceof NoSlotError)) throw error;
      // The plain shape, as a peer's refusal comes: callers and retries know it.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw refuseForNow(`${this.peer}: every connection is full (${error.message})`).getError();
    }
    return lane;
  }

  private pickLane(): Lane {
    // Round robin, but skip a lane that is backed up while another one has room.
    const start = this.nextLane++ % this.lanes.length;
    let best = this.lanes[start];
    const load = (lane: Lane) => lane.slots.held + lane.slots.waiting;
    for (const lane of this.lanes) if (load(lane) < load(best)) best = lane;
    return best;
  }
}

/** A transport failure, named after the peer: `processor at 127.0.0.1:5002: connect ECONNREFUSED …`. */
export class PeerUnreachableError extends Error {
  constructor(
    readonly peer: string,
    override readonly cause: unknown,
  ) {
    super(`${peer}: ${describeError(cause)}`);
    this.name = PeerUnreachableError.name;
  }
}

/** Handler errors (refusals) keep their shape; anything else becomes a `PeerUnreachableError`. */
function withPeer(peer: string, error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'status' in error) return error;
  if (error instanceof PeerUnreachableError) return error;
  return new PeerUnreachableError(peer, error);
}
