import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Result } from '../src/common/contracts/messages.js';

export interface ExpectedRun {
  readonly runId: string;
  readonly total: number;
  readonly connections: number;
  readonly values: number;
  readonly delayRange: number;
}

/** Times read from the file, indexed by seq (index 0 unused). Epoch milliseconds. */
export interface FileTimes {
  readonly sentAt: Float64Array;
  readonly processedAt: Float64Array;
}

/** Thrown when a run's file is not what the system promises: a benchmark of a wrong result is worthless. */
export class WrongFileError extends Error {
  override readonly name = 'WrongFileError';
}

/**
 * Streams the run's file and checks the system's promise on it: exactly `total` lines, line N holds
 * seq N of this run, each (conn, idx) once with idx rising on each connection, delays in range.
 * Answers the times of every line when `keepTimes` is set (for reorder-wait estimates).
 */
export async function verifyRunFile(
  path: string,
  run: ExpectedRun,
  keepTimes = false,
): Promise<FileTimes | undefined> {
  const times = keepTimes
    ? { sentAt: new Float64Array(run.total + 1), processedAt: new Float64Array(run.total + 1) }
    : undefined;
  const lastIdx = new Uint32Array(run.connections + 1);
  const perConn = new Uint32Array(run.connections + 1);
  const maxDelayMs = run.delayRange * 1000;
  let seq = 0;
  const fail = (why: string): never => {
    throw new WrongFileError(`${path}, line ${seq}: ${why}`);
  };
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    seq++;
    if (seq > run.total) fail(`more lines than the run's ${run.total} tasks`);
    let result: Result;
    try {
      result = JSON.parse(line) as Result;
    } catch {
      return fail(`not JSON: ${line.slice(0, 200)}`);
    }
    if (result.seq !== seq) fail(`holds seq ${result.seq}, not ${seq}`);
    if (result.runId !== run.runId) fail(`holds run ${result.runId}, not ${run.runId}`);
    if (result.total !== run.total) fail(`says total ${result.total}, not ${run.total}`);
    const { conn, idx } = result;
    if (!(conn >= 1 && conn <= run.connections)) fail(`conn ${conn} out of range`);
    if (!(idx > lastIdx[conn] && idx <= run.values)) {
      fail(
        `idx ${idx} on conn ${conn} does not rise (previous ${lastIdx[conn]}) or is out of range`,
      );
    }
    lastIdx[conn] = idx;
    perConn[conn]++;
    if (!(result.delayMs >= 0 && result.delayMs <= maxDelayMs)) fail(`delayMs ${result.delayMs}`);
    if (!(result.processedAt >= result.sentAt)) fail('processed before it was sent');
    if (typeof result.processor !== 'string') fail('no processor');
    if (times) {
      times.sentAt[seq] = result.sentAt;
      times.processedAt[seq] = result.processedAt;
    }
  }
  if (seq !== run.total) fail(`the file ends after ${seq} of ${run.total} lines`);
  if (!(await endsWithNewline(path))) fail('the last line is not whole (no newline)');
  for (let conn = 1; conn <= run.connections; conn++) {
    if (perConn[conn] !== run.values) {
      fail(`connection ${conn} has ${perConn[conn]} lines, not ${run.values}`);
    }
  }
  return times;
}

async function endsWithNewline(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return size > 0 && last[0] === 10;
  } finally {
    await handle.close();
  }
}
