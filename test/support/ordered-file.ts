import { expect } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import type { Result } from '../../src/common/contracts/messages.js';
import { startRun } from './http.js';

export interface RunShape {
  readonly runId: string;
  readonly connectionCount: number;
  readonly connectionValue: number;
  readonly delayRange: number;
}

/**
 * The property this whole system exists for, checked on the file itself: one line per task,
 * line N holds seq N, every (conn, idx) exactly once, idx rising on each connection, and each
 * line a complete result of this run.
 */
export async function expectOrderedFile(path: string, run: RunShape): Promise<Result[]> {
  const text = await readFile(path, 'utf8');
  const total = run.connectionCount * run.connectionValue;
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines).toHaveLength(total);
  const results = lines.map((line) => JSON.parse(line) as Result);

  const outOfPlace = results.findIndex((result, at) => result.seq !== at + 1);
  expect(outOfPlace).toBe(-1);

  const seen = new Set<string>();
  const lastIdx = new Map<number, number>();
  for (const result of results) {
    expect(result.runId).toBe(run.runId);
    expect(result.total).toBe(total);
    expect(result.delayRange).toBe(run.delayRange);
    expect(result.conn).toBeGreaterThanOrEqual(1);
    expect(result.conn).toBeLessThanOrEqual(run.connectionCount);
    expect(result.idx).toBeGreaterThanOrEqual(1);
    expect(result.idx).toBeLessThanOrEqual(run.connectionValue);
    expect(result.delayMs).toBeLessThanOrEqual(run.delayRange * 1000);
    expect(result.processedAt).toBeGreaterThanOrEqual(result.sentAt);
    expect(typeof result.processor).toBe('string');
    const key = `${result.conn}:${result.idx}`;
    expect(seen.has(key)).toBe(false);
    seen.add(key);
    // Each connection sends in idx order, and seq is taken at the moment of sending.
    expect(result.idx).toBeGreaterThan(lastIdx.get(result.conn) ?? 0);
    lastIdx.set(result.conn, result.idx);
  }
  expect(seen.size).toBe(total);
  return results;
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
