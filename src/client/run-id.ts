import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * A new run id: UTC start time to the millisecond, a per-process counter and random letters, so ids
 * sort by start time and never collide between client processes. Matches `RUN_ID_PATTERN`.
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  counter = (counter + 1) % 10_000;
  return `${stamp}-${String(counter).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
}
