import type { Result, Task } from '../../src/common/contracts/messages.js';

/** A well-formed task of a run nobody opened, for tests that send the pipeline's messages themselves. */
export const aTask = (overrides: Partial<Task> = {}): Task => ({
  runId: 'not-a-real-run',
  seq: 1,
  total: 1,
  conn: 1,
  idx: 1,
  value: 1,
  sentAt: Date.now(),
  delayRange: 0,
  ...overrides,
});

/** The result of `aTask`, as a processor would hand it to the saver. */
export const aResult = (overrides: Partial<Result> = {}): Result => ({
  ...aTask(),
  processedAt: Date.now(),
  delayMs: 0,
  processor: 'test',
  ...overrides,
});
