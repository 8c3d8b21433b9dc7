import type { Result, SaverRunRef, SaverStatusQuery, Task } from './messages.js';

/** Bounds of what a message may ask for, whatever the sender's settings (the largest MAX_DELAY). */
const MAX_DELAY_RANGE = 3600;
const MAX_MISSING_LIMIT = 1_000_000;

/** Run ids are made by the client and become file names at the saver: nothing else is allowed. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1;
const isTime = (value: unknown): value is number =>
  Number.isFinite(value) && (value as number) >= 0;

/**
 * Returns why `value` is not a `Task`, or undefined when it is one.
 * Hand-written rather than a class-validator DTO because it runs on every message of every hop.
 */
export function taskProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a task must be an object';
  const task = value as Partial<Task>;
  if (typeof task.runId !== 'string' || !RUN_ID_PATTERN.test(task.runId)) return 'runId is invalid';
  if (!isCount(task.total)) return 'total must be a positive integer';
  if (!isCount(task.seq) || task.seq > task.total) return 'seq must be an integer in 1..total';
  if (!isCount(task.conn)) return 'conn must be a positive integer';
  if (!isCount(task.idx)) return 'idx must be a positive integer';
  if (!Number.isSafeInteger(task.value)) return 'value must be an integer';
  if (!isTime(task.sentAt)) return 'sentAt must be a time';
  if (!isTime(task.delayRange) || task.delayRange > MAX_DELAY_RANGE)
    return `delayRange must be a number in 0..${MAX_DELAY_RANGE}`;
  return undefined;
}

/** Returns why `value` is not a `Result`, or undefined when it is one. */
export function resultProblem(value: unknown): string | undefined {
  const problem = taskProblem(value);
  if (problem) return problem;
  const result = value as Partial<Result>;
  if (!isTime(result.processedAt)) return 'processedAt must be a time';
  if (!isTime(result.delayMs)) return 'delayMs must be a number >= 0';
  if (typeof result.processor !== 'string') return 'processor must be a string';
  return undefined;
}

/** Returns why `value` is not a `SaverStatusQuery`, or undefined when it is one. */
export function statusQueryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a status query must be an object';
  const query = value as Partial<SaverStatusQuery>;
  if (typeof query.runId !== 'string' || !RUN_ID_PATTERN.test(query.runId))
    return 'runId is invalid';
  if (!isCount(query.total)) return 'total must be a positive integer';
  if (
    query.missingLimit !== undefined &&
    (!Number.isSafeInteger(query.missingLimit) || query.missingLimit > MAX_MISSING_LIMIT)
  )
    return `missingLimit must be an integer up to ${MAX_MISSING_LIMIT}`;
  return undefined;
}

/** Returns why `value` is not a `SaverRunRef`, or undefined when it is one. */
export function runRefProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a run reference must be an object';
  const cancel = value as Partial<SaverRunRef>;
  if (typeof cancel.runId !== 'string' || !RUN_ID_PATTERN.test(cancel.runId))
    return 'runId is invalid';
  if (!isCount(cancel.total)) return 'total must be a positive integer';
  return undefined;
}
