import type { Contract } from './contract.js';
import {
  batchOf,
  RESULT,
  SAVER_REPORT_QUERY,
  SAVER_RUN_REF,
  SAVER_STATUS_QUERY,
  TASK,
} from './messages.js';
import { Patterns } from './patterns.js';

/** Every pattern that carries a message, and the contract of that message (pings carry none). */
export const PATTERN_CONTRACTS = {
  [Patterns.serverTask]: TASK,
  [Patterns.processorTasks]: batchOf(TASK),
  [Patterns.processorTask]: TASK,
  [Patterns.saverResults]: batchOf(RESULT),
  [Patterns.saverResult]: RESULT,
  [Patterns.saverOpen]: SAVER_RUN_REF,
  [Patterns.saverStatus]: SAVER_STATUS_QUERY,
  [Patterns.saverCancel]: SAVER_RUN_REF,
  [Patterns.saverReport]: SAVER_REPORT_QUERY,
} as const satisfies Record<string, Pick<Contract<unknown>, 'name' | 'problem'>>;

export type MessagePattern = keyof typeof PATTERN_CONTRACTS;

/** The message a pattern carries. */
export type MessageOfPattern<P extends MessagePattern> =
  (typeof PATTERN_CONTRACTS)[P] extends Contract<infer T> ? T : never;
