import type {
  Batch,
  Result,
  SaverReportQuery,
  SaverRunRef,
  SaverStatusQuery,
  Task,
} from './messages.js';

/*
 * Bounds of what a message may carry, whatever the sender's settings: the largest value each
 * setting allows (see `environment.ts`), or what the code that makes the field can make.
 */
/** MAX_TASKS at most. */
const MAX_TOTAL = 10_000_000;
/** MAX_CONNECTIONS at most. */
const MAX_CONN = 10_000;
/** MAX_DELAY at most, seconds. */
const MAX_DELAY_RANGE = 3600;
/** The client draws values with `Math.floor(Math.random() * 2 ** 31)`. */
const MAX_VALUE = 2 ** 31 - 1;
/** The processor's id is `host:pid`; a host name is at most 253 characters. */
const MAX_PROCESSOR_LENGTH = 256;
/** The processor draws `randomInt(0, round(delayRange * 1000) + 1)`: rounding adds under 1 ms. */
const DELAY_MS_SLACK = 1;
export const MAX_MISSING_LIMIT = 1_000_000;
const MAX_RUN_ID_LENGTH = 64;
/** HOP_BATCH_MAX at most: items in one `Batch`. */
export const MAX_BATCH_ITEMS = 1024;
/**
 * The longest a `Result` of ours can be as JSON (a 64-character runId, a 256-character ASCII
 * processor id, every number at its longest: about 560 bytes), rounded up; and what a batch's
 * frame adds to its items.
 */
export const MAX_RESULT_BYTES = 640;
export const BATCH_ENVELOPE_BYTES = 256;

/** Run ids are made by the client and become file names at the saver: nothing else is allowed. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const isIntIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const isTime = (value: unknown): value is number =>
  Number.isFinite(value) && (value as number) >= 0;
// The length first: the pattern need not look at a long string at all.
const isRunId = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_RUN_ID_LENGTH && RUN_ID_PATTERN.test(value);

/**
 * Returns why `value` is not a `Task`, or undefined when it is one.
 * Hand-written rather than a class-validator DTO because it runs on every message of every hop.
 */
export function taskProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a task must be an object';
  const task = value as Partial<Task>;
  if (!isRunId(task.runId)) return 'runId is invalid';
  if (!isIntIn(task.total, 1, MAX_TOTAL)) return `total must be an integer in 1..${MAX_TOTAL}`;
  if (!isIntIn(task.seq, 1, task.total)) return 'seq must be an integer in 1..total';
  // connection_count × connection_value = total, so neither conn nor idx can be more than total.
  if (!isIntIn(task.conn, 1, Math.min(MAX_CONN, task.total)))
    return `conn must be an integer in 1..${MAX_CONN}, at most total`;
  if (!isIntIn(task.idx, 1, task.total)) return 'idx must be an integer in 1..total';
  if (!isIntIn(task.value, 0, MAX_VALUE)) return `value must be an integer in 0..${MAX_VALUE}`;
  if (!isTime(task.sentAt)) return 'sentAt must be a time';
  if (!isTime(task.delayRange) || task.delayRange > MAX_DELAY_RANGE)
    return `delayRange must be a number in 0..${MAX_DELAY_RANGE}`;
  return undefined;
}

/** Returns why `value` is not a `Result`, or undefined when it is one. */
export function resultProblem(value: unknown): string | undefined {
  const problem = taskProblem(value);
  if (problem) return problem;
  const result = value as Partial<Result> & Task;
  if (!isTime(result.processedAt)) return 'processedAt must be a time';
  if (!isIntIn(result.delayMs, 0, result.delayRange * 1000 + DELAY_MS_SLACK))
    return 'delayMs must be an integer in 0..delayRange × 1000';
  if (
    typeof result.processor !== 'string' ||
    result.processor.length === 0 ||
    result.processor.length > MAX_PROCESSOR_LENGTH
  )
    return `processor must be a string of 1..${MAX_PROCESSOR_LENGTH} characters`;
  return undefined;
}

/** Returns why `value` is not a `SaverStatusQuery`, or undefined when it is one. */
export function statusQueryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a status query must be an object';
  const query = value as Partial<SaverStatusQuery>;
  if (!isRunId(query.runId)) return 'runId is invalid';
  if (!isIntIn(query.total, 1, MAX_TOTAL)) return `total must be an integer in 1..${MAX_TOTAL}`;
  if (query.missingLimit !== undefined && !isIntIn(query.missingLimit, 0, MAX_MISSING_LIMIT))
    return `missingLimit must be an integer in 0..${MAX_MISSING_LIMIT}`;
  return undefined;
}

/** Returns why `value` is not a `SaverRunRef`, or undefined when it is one. */
export function runRefProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a run reference must be an object';
  const run = value as Partial<SaverRunRef>;
  if (!isRunId(run.runId)) return 'runId is invalid';
  if (!isIntIn(run.total, 1, MAX_TOTAL)) return `total must be an integer in 1..${MAX_TOTAL}`;
  return undefined;
}

/** Returns why `value` is not a `SaverReportQuery`, or undefined when it is one. */
export function reportQueryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a report query must be an object';
  if (!isRunId((value as Partial<SaverReportQuery>).runId)) return 'runId is invalid';
  return undefined;
}

/**
 * Returns a guard for a `Batch` of the items `itemProblem` checks: 1..MAX_BATCH_ITEMS items, each
 * a valid one. One bad item refuses the whole batch: our senders check every item before they
 * batch it, so only a broken or hostile peer sends one.
 */
export function batchProblem(
  itemProblem: (value: unknown) => string | undefined,
): (value: unknown) => string | undefined {
  return (value) => {
    if (typeof value !== 'object' || value === null) return 'a batch must be an object';
    const { items } = value as Partial<Batch<unknown>>;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH_ITEMS)
      return `items must be an array of 1..${MAX_BATCH_ITEMS} items`;
    for (let at = 0; at < items.length; at++) {
      const problem = itemProblem(items[at]);
      if (problem !== undefined) return `items[${at}]: ${problem}`;
    }
    return undefined;
  };
}
