import type { LinearHistogram } from '../recording/doubling-histogram.js';
import type { SeriesPoints } from '../recording/downsampled-series.js';
import type { Percentiles } from '../recording/log-histogram.js';
import type { SampledPoints } from '../recording/systematic-sample.js';

/** A unit of work, made by the client. `seq` is the order of the run's file. */
export interface Task {
  readonly runId: string;
  /** 1..total: the order in which the client sent the task, across all connections of the run. */
  readonly seq: number;
  readonly total: number;
  /** 1..connection_count. */
  readonly conn: number;
  /** 1..connection_value: the task's place on its connection. */
  readonly idx: number;
  readonly value: number;
  /** Epoch milliseconds. */
  readonly sentAt: number;
  /** Seconds; the processor draws its delay from [0, delayRange]. */
  readonly delayRange: number;
}

export const ACK = { asyncAnswer: 'Ok' } as const;
export type Ack = typeof ACK;

/** A processed task: one line of the run's file. */
export interface Result extends Task {
  readonly processedAt: number;
  readonly delayMs: number;
  /** Id (host:pid) of the processor instance that did the work. */
  readonly processor: string;
}

/**
 * Several messages of one kind in one (`processor.tasks`, `saver.results`): the internal hops carry
 * what arrives together, so a task costs one message on the client's hop only.
 */
export interface Batch<T> {
  readonly items: readonly T[];
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

export interface SaverStatusQuery {
  readonly runId: string;
  readonly total: number;
  /** At most this many missing seqs are listed. */
  readonly missingLimit?: number;
}

/** A run to open at the saver (`saver.open`), or to close when cancelled (`saver.cancel`). */
export interface SaverRunRef {
  readonly runId: string;
  readonly total: number;
}

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
export interface SaverReportQuery {
  readonly runId: string;
}

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
