import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { send } from '../support/http.js';
import { sample } from '../support/metrics.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

/** What the system's log says: request lines (pino-http) and its other lines. */
interface LogLine {
  readonly msg?: string;
  readonly req?: { readonly method: string; readonly url: string };
  readonly res?: { readonly statusCode: number };
}

/**
 * A run that cannot end while the tests run: it may send at most REORDER_WINDOW tasks past its
 * written prefix, each delayed up to 60 s.
 */
const STUCK_RUN = { connection_count: 20, connection_value: 100, delay_range: 60, wait: 'none' };
const ACTIVE = 1;
const QUEUED = 3;

describe('starts against a full client (admission under a flood)', () => {
  let sut: TestSystem;
  const lines: LogLine[] = [];
  const accepted: string[] = [];

  beforeAll(async () => {
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    );
    sut = await startTestSystem(
      {
        MAX_ACTIVE_RUNS: String(ACTIVE),
        MAX_QUEUED_RUNS: String(QUEUED),
        REORDER_WINDOW: '100',
      },
      undefined,
      { pino: logger },
    );
  });

  afterAll(async () => {
    for (const runId of accepted) await send('DELETE', `${sut.baseUrl}/runs/${runId}`);
    await sut?.close();
  });

  const refusedSoFar = async (): Promise<number> =>
    sample(await (await fetch(`${sut.baseUrl}/metrics`)).text(), 'pipeline_runs_refused_total');

  it('concurrent starts take exactly the room there is; every other one is refused with Retry-After', async () => {
    // All at once: each accepted run is journaled before it is admitted, and the ones being
    // journaled hold their place, so the queue cannot take more than MAX_QUEUED_RUNS together.
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => send<RunView>('POST', `${sut.baseUrl}/runs`, STUCK_RUN)),
    );
    for (const answer of answers) if (answer.status === 202) accepted.push(answer.body.runId);
    const statuses = answers.map(({ status }) => status).sort();
    expect(statuses).toEqual([
      ...Array<number>(ACTIVE + QUEUED).fill(202),
      ...Array<number>(50 - ACTIVE - QUEUED).fill(429),
    ]);
    for (const answer of answers.filter(({ status }) => status === 429))
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    const queued = await send<{ total: number }>('GET', `${sut.baseUrl}/runs?state=queued`);
    expect(queued.body.total).toBe(QUEUED);
  });

  it('refuses a start while full before reading it: no validation, no request line', async () => {
    const before = await refusedSoFar();
    const badBody = await send<{ message: string }>('POST', `${sut.baseUrl}/runs`, {
      colour: 'red',
    });
    expect(badBody.status).toBe(429);
    expect(badBody.body.message).toContain('MAX_QUEUED_RUNS');
    const badQuery = await send('GET', `${sut.baseUrl}/?connection_count=lots`);
    expect(badQuery.status).toBe(429);
    expect(await refusedSoFar()).toBe(before + 2);
    // The accepted starts were logged, one line each; no refused one was.
    const startLines = lines.filter(
      ({ req }) => req && (req.method === 'POST' ? req.url === '/runs' : req.url.startsWith('/?')),
    );
    expect(startLines.filter(({ res }) => res?.statusCode === 202)).toHaveLength(ACTIVE + QUEUED);
    expect(startLines.filter(({ res }) => res?.statusCode === 429)).toEqual([]);
  });

  it('answers a flood, each request a 429 with Retry-After, counted, and logs it in a line or two', async () => {
    const before = await refusedSoFar();
    const refusalLinesBefore = lines.filter(({ msg }) => msg?.startsWith('refused a run')).length;
    const flood = 600;
    const answers = await Promise.all(
      Array.from({ length: flood }, () => send('GET', `${sut.baseUrl}/?wait=none`)),
    );
    expect(answers.filter(({ status }) => status === 429)).toHaveLength(flood);
    for (const answer of answers) expect(answer.headers.get('retry-after')).toBe('5');
    expect(await refusedSoFar()).toBe(before + flood);
    const refusalLines = lines.filter(({ msg }) => msg?.startsWith('refused a run')).length;
    // Throttled to a line per 10 s: the flood may straddle one boundary.
    expect(refusalLines - refusalLinesBefore).toBeLessThanOrEqual(1);
  });

  it('still takes a run once one has ended', async () => {
    const cancelled = accepted.shift() as string;
    expect((await send('DELETE', `${sut.baseUrl}/runs/${cancelled}`)).status).toBe(200);
    const next = await send<RunView>('POST', `${sut.baseUrl}/runs`, STUCK_RUN);
    expect(next.status).toBe(202);
    accepted.push(next.body.runId);
  });
});
