import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { RunShape } from '../src/common/contracts/http.js';
import type { Result } from '../src/common/contracts/messages.js';

/** The run a file should hold: a `RunView` is one. */
export interface ExpectedRun extends RunShape {
  readonly runId: string;
}

/** Times read from the file, indexed by seq (index 0 unused). Epoch milliseconds. */
export interface FileTimes {
  readonly sentAt: Float64Array;
  readonly processedAt: Float64Array;
}

export interface RunFileCheck {
  /** Empty when the file is exactly the run; else the first few, then how many more there were. */
  readonly violations: readonly string[];
  /** Sent and processed times of every line, when asked for (the bench's reorder-wait estimate). */
  readonly times?: FileTimes;
}

/** A wrong million-line file may be wrong on every line: say enough to see why, keep the rest a count. */
export const MAX_VIOLATIONS = 20;

/**
 * Streams the run's file and checks the property the whole system exists for: one whole JSON line
 * per task and a newline after the last, line N holds seq N of this run, every (conn, idx) exactly
 * once with idx rising on each connection (seq is taken when a connection sends, in idx order),
 * delays within the run's range, and each result processed after it was sent, by a named processor.
 * Memory stays bounded by the connection count (no line is kept), so a 1M-line file costs nothing.
 */
export async function checkRunFile(
  path: string,
  run: ExpectedRun,
  options: { keepTimes?: boolean } = {},
): Promise<RunFileCheck> {
  const { connectionCount: connections, connectionValue: values } = run;
  const total = connections * values;
  const maxDelayMs = run.delayRange * 1000;
  const times = options.keepTimes
    ? { sentAt: new Float64Array(total + 1), processedAt: new Float64Array(total + 1) }
    : undefined;
  const lastIdx = new Uint32Array(connections + 1);
  const perConn = new Uint32Array(connections + 1);
  const violations: string[] = [];
  let more = 0;
  let seq = 0;
  const wrong = (why: string): void => {
    if (violations.length < MAX_VIOLATIONS) violations.push(`line ${seq}: ${why}`);
    else more++;
  };
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of lines) {
      seq++;
      if (seq === total + 1) wrong(`more lines than the run's ${total} tasks`);
      let result: Result;
      try {
        result = JSON.parse(line) as Result;
      } catch {
        wrong(`not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      if (result.seq !== seq) wrong(`holds seq ${result.seq}, not ${seq}`);
      if (result.runId !== run.runId) wrong(`holds run ${result.runId}, not ${run.runId}`);
      if (result.total !== total) wrong(`says total ${result.total}, not ${total}`);
      if (result.delayRange !== run.delayRange) {
        wrong(`says delayRange ${result.delayRange}, not ${run.delayRange}`);
      }
      const { conn, idx } = result;
      if (!(Number.isInteger(conn) && conn >= 1 && conn <= connections)) {
        wrong(`conn ${conn} out of range`);
      } else if (!(Number.isInteger(idx) && idx > lastIdx[conn] && idx <= values)) {
        // Rising idx on each connection also makes every (conn, idx) appear at most once.
        wrong(
          `idx ${idx} on conn ${conn} does not rise (previous ${lastIdx[conn]}) or is out of range`,
        );
      } else {
        lastIdx[conn] = idx;
        perConn[conn]++;
      }
      if (!(result.delayMs >= 0 && result.delayMs <= maxDelayMs))
        wrong(`delayMs ${result.delayMs}`);
      if (!(result.processedAt >= result.sentAt)) wrong('processed before it was sent');
      if (typeof result.processor !== 'string') wrong('no processor');
      if (times && seq <= total) {
        times.sentAt[seq] = result.sentAt;
        times.processedAt[seq] = result.processedAt;
      }
    }
  } catch (error) {
    wrong(`cannot read the file: ${(error as Error).message}`);
    return { violations: closed(violations, more), times };
  }
  if (seq < total) wrong(`the file ends after ${seq} of ${total} lines`);
  if (seq > 0 && !(await endsWithNewline(path))) wrong('the last line is not whole (no newline)');
  // With idx rising and in range, `values` lines on a connection are each of its idx once.
  for (let conn = 1; conn <= connections; conn++) {
    if (perConn[conn] !== values)
      wrong(`connection ${conn} has ${perConn[conn]} lines, not ${values}`);
  }
  return { violations: closed(violations, more), times };
}

/** The file's violations alone (empty: the file is exactly the run). */
export async function violationsOf(path: string, run: ExpectedRun): Promise<readonly string[]> {
  return (await checkRunFile(path, run)).violations;
}

const closed = (violations: string[], more: number): readonly string[] =>
  more === 0 ? violations : [...violations, `… and ${more} more`];

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
