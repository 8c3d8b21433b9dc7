import type {
  Batch,
  Result,
  SaverReportQuery,
  SaverRunRef,
  SaverStatusQuery,
  Task,
} from './messages.js';

/*
 * The fields of each message the contract knows, and nothing else. A message is passed on from
 * hop to hop (client → server → processor → saver); fields a sender added would travel with it,
 * and a task near the frame limit at the server would break it on the next hop, where it is a
 * little longer. Each handler gets these copies instead (after the guard has checked the fields).
 */

export const taskFields = (task: Task): Task => ({
  runId: task.runId,
  seq: task.seq,
  total: task.total,
  conn: task.conn,
  idx: task.idx,
  value: task.value,
  sentAt: task.sentAt,
  delayRange: task.delayRange,
});

export const resultFields = (result: Result): Result => ({
  ...taskFields(result),
  processedAt: result.processedAt,
  delayMs: result.delayMs,
  processor: result.processor,
});

export const statusQueryFields = (query: SaverStatusQuery): SaverStatusQuery =>
  query.missingLimit === undefined
    ? { runId: query.runId, total: query.total }
    : { runId: query.runId, total: query.total, missingLimit: query.missingLimit };

export const runRefFields = (run: SaverRunRef): SaverRunRef => ({
  runId: run.runId,
  total: run.total,
});

export const reportQueryFields = (query: SaverReportQuery): SaverReportQuery => ({
  runId: query.runId,
});

export const batchFields =
  <T>(fields: (item: T) => T) =>
  (batch: Batch<T>): Batch<T> => ({ items: batch.items.map(fields) });
