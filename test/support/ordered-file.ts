import { expect } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import type { Result } from '../../src/common/contracts/messages.js';
import { violationsOf, type ExpectedRun } from '../../harness/run-file.js';
import { startRun } from './http.js';

/**
 * The property this whole system exists for, checked on the file itself (`harness/run-file.ts`):
 * no violation at all. Answers the file's results for the test's own further checks.
 */
export async function expectOrderedFile(path: string, run: ExpectedRun): Promise<Result[]> {
  expect(await violationsOf(path, run)).toEqual([]);
  const text = await readFile(path, 'utf8');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Result);
}

/**
 * Whatever a test did to the system before, it still runs a small run to completion and orders its
 * file exactly: the after-each check of the fault and hostile-input suites.
 */
export async function expectStillOrders(
  baseUrl: string,
  shape: { connection_count: number; connection_value: number; delay_range: number } = {
    connection_count: 3,
    connection_value: 10,
    delay_range: 0.1,
  },
): Promise<void> {
  const { body } = await startRun(baseUrl, { ...shape, wait: 'saved' });
  expect(body.state).toBe('completed');
  await expectOrderedFile(body.file, body);
}
