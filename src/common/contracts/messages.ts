import type { LinearHistogram } from '../recording/doubling-histogram.js';
import type { SeriesPoints } from '../recording/downsampled-series.js';
import type { Percentiles } from '../recording/log-histogram.js';
import type { SampledPoints } from '../recording/systematic-sample.js';
import {
  DELAY_MS_SLACK,
  MAX_BATCH_ITEMS,
  MAX_CONN,
  MAX_DELAY_RANGE,
  MAX_MISSING_LIMIT,
  MAX_PROCESSOR_LENGTH,
  MAX_RUN_ID_LENGTH,
  MAX_TOTAL,
  MAX_VALUE,
  RUN_ID_PATTERN,
} from './bounds.js';
import {
  contract,
  decimal,
  extend,
  integer,
  integerUpTo,
  optional,
  text,
  time,
  type Contract,
  type MessageOf,
} from './contract.js';

/*
 * What the modules send each other. A message a module receives is declared once, as a contract
 * (its fields in order, each with its rule): its type, its guard and the copy of its fields come
 * from it. Answers, which come back to the module that asked, are plain types.
 */

/** Who made a run, and its file's name at the saver: nothing else is allowed. */
const RUN_ID = text(1, MAX_RUN_ID_LENGTH, RUN_ID_PATTERN, 'is invalid');
/** A task's place, at most the run's `total`. */
const UP_TO_TOTAL: Parameters<typeof integerUpTo>[1] = {
  max: ({ total }) => total,
  says: 'total',
  after: ['total'],
};

/** A unit of work, made by the client. `seq` is the order of the run's file. */
export const TASK = contract('task', {
  runId: RUN_ID,
  /** 1..total: the order in which the client sent the task, across all connections of the run. */
  seq: integerUpTo(1, UP_TO_TOTAL),
  total: integer(1, MAX_TOTAL),
  /** 1..connection_count (connection_count × connection_value = total: at most total). */
  conn: integerUpTo(1, {
    max: ({ total }) => Math.min(MAX_CONN, total),
    says: `${MAX_CONN}, at most total`,
    after: ['total'],
  }),
  /** 1..connection_value: the task's place on its connection. */
  idx: integerUpTo(1, UP_TO_TOTAL),
  value: integer(0, MAX_VALUE),
  /** Epoch milliseconds. */
  sentAt: time(),
  /** Seconds; the processor draws its delay from [0, delayRange]. */
  delayRange: decimal(0, MAX_DELAY_RANGE),
});
export type Task = MessageOf<typeof TASK.shape>;

export const ACK = { asyncAnswer: 'Ok' } as const;
export type Ack = typeof ACK;

/** A processed task: one line of the run's file, its fields in this order. */
export const RESULT = extend('result', TASK, {
  processedAt: time(),
  /** The delay drawn; rounding the range to ms may add under one. */
  delayMs: integerUpTo(0, {
    max: ({ delayRange }) => delayRange * 1000 + DELAY_MS_SLACK,
    says: 'delayRange × 1000',
    after: ['delayRange'],
  }),
  /** Id (host:pid) of the processor instance that did the work. */
  processor: text(1, MAX_PROCESSOR_LENGTH),
});
export type Result = MessageOf<typeof RESULT.shape>;

/**
 * Several messages of one kind in one (`processor.tasks`, `saver.results`): the internal hops carry
 * what arrives together, so a task costs one message on the client's hop only.
 */
export interface Batch<T> {
  readonly items: readonly T[];
}

/**
 * The contract of a `Batch` of `item`s: 1..MAX_BATCH_ITEMS items, each a valid one. One bad item
 * refuses the whole batch: our senders check every item before they batch it, so only a broken or
 * hostile peer sends one.
 */
export function batchOf<T>(item: Contract<T>): Contract<Batch<T>> {
  return {
    name: `batch of ${item.name}s`,
    problem(value) {
      if (typeof value !== 'object' || value === null) return 'a batch must be an object';
      const { items } = value as Partial<Batch<unknown>>;
      if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH_ITEMS)
        return `items must be an array of 1..${MAX_BATCH_ITEMS} items`;
      for (let at = 0; at < items.length; at++) {
        const problem = item.problem(items[at]);
        if (problem !== undefined) return `items[${at}]: ${problem}`;
      }
      return undefined;
    },
    fields: (batch) => ({ items: batch.items.map((one) => item.fields(one)) }),
  };
}

/** What a handler threw on purpose, as every transport carries it (Nest's RPC error object). */
export interface HandlerError {
  readonly status: 'error';
  readonly message: string;
  readonly retryable?: true;
  readonly unreachable?: true;
}

/** The answer to one item of a batch: what a single request would have answered, or its error. */
export type ItemAnswer<A> = { readonly ok: A } | { readonly error: HandlerError };

/** The answer to a `Batch`: one `ItemAnswer` per item, in the batch's order. */
export interface BatchAnswer<A> {
  readonly answers: readonly ItemAnswer<A>[];
}

/** Answer of the saver to `saver.result` (and to each result of `saver.results`). */
export interface ResultReceipt {
  readonly accepted: boolean;
}

/** Asks the saver what it knows of a run (`saver.status`). */
export const SAVER_STATUS_QUERY = contract('status query', {
  runId: RUN_ID,
  total: integer(1, MAX_TOTAL),
  /** At most this many missing seqs are listed. */
  missingLimit: optional(integer(0, MAX_MISSING_LIMIT)),
});
export type SaverStatusQuery = MessageOf<typeof SAVER_STATUS_QUERY.shape>;

/** A run to open at the saver (`saver.open`), or to close when cancelled (`saver.cancel`). */
export const SAVER_RUN_REF = contract('run reference', {
  runId: RUN_ID,
  total: integer(1, MAX_TOTAL),
});
export type SaverRunRef = MessageOf<typeof SAVER_RUN_REF.shape>;

/**
 * `unknown`: the saver has no such run open and no file for it (a status query creates nothing).
 * `failed`: a write failed (`error` names the errno and the file); the file keeps whole lines.
 */
export type SaverRunState = 'unknown' | 'writing' | 'completed' | 'failed' | 'cancelled';

/** What the saver knows of one run. */
export interface SaverStatus {
  readonly runId: string;
  readonly state: SaverRunState;
  /** Lines flushed to the file. */
  readonly written: number;
  /** The next seq the file waits for (written + 1). */
  readonly waitingFor: number;
  /** Results held in memory because an earlier seq has not arrived. */
  readonly buffered: number;
  readonly duplicates: number;
  /** Milliseconds since the file last grew (0 when completed). */
  readonly stalledMs: number;
  /** Seqs not received yet, lowest first, at most `missingLimit` of them. */
  readonly missing: readonly number[];
  readonly file: string;
  /** Why writing failed. */
  readonly error?: string;
}

/** Asks the saver what it recorded of a run (`saver.report`). */
export const SAVER_REPORT_QUERY = contract('report query', { runId: RUN_ID });
export type SaverReportQuery = MessageOf<typeof SAVER_REPORT_QUERY.shape>;

/**
 * What the saver recorded of one run while it ran, bounded whatever the run's size (see
 * `src/saver/report/`). `known` is false when the saver never saw the run or has forgotten it.
 */
export interface SaverReport {
  readonly runId: string;
  readonly known: boolean;
  /** Results received (duplicates included), released in order, and dropped as duplicates. */
  readonly received: number;
  readonly released: number;
  readonly duplicates: number;
  /** Sampled arrivals: x is the arrival's place at the saver (1, 2, …), y its seq. */
  readonly arrivals: SampledPoints;
  /** The delays the processors drew, in ms. */
  readonly delays: LinearHistogram;
  /** Time from a result's arrival to its release from the reorder buffer, in ms. */
  readonly reorderWaitMs: Percentiles;
  /** Over time (epoch ms): results held in the reorder buffer (max per point) and lines written. */
  readonly timeline: SeriesPoints;
}

/** Answer to a readiness ping (`server.ping`, `processor.ping`, `saver.ping`). */
export interface PingAnswer {
  /** Whether the peer can do its work (the saver: whether it can write its OUTPUT_DIR). */
  readonly ready: boolean;
  /** Who answered (host:pid), and why it is not ready. */
  readonly instance: string;
  readonly reason?: string;
}
