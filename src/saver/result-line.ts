import type { Result } from '../common/contracts/messages.js';

/** One line of the run's file: the fields of a `Result`, always in this order, and nothing else. */
export function toLine(result: Result): string {
  const line: Result = {
    runId: result.runId,
    seq: result.seq,
    total: result.total,
    conn: result.conn,
    idx: result.idx,
    value: result.value,
    sentAt: result.sentAt,
    delayRange: result.delayRange,
    processedAt: result.processedAt,
    delayMs: result.delayMs,
    processor: result.processor,
  };
  return `${JSON.stringify(line)}\n`;
}
