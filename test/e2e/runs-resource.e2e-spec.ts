import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { send, settledRun, until } from '../support/http.js';
import { expectOrderedFile } from '../support/ordered-file.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

interface Page {
  runs: RunView[];
  total: number;
  limit: number;
  offset: number;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** A run long enough to be caught in progress: 20×100 tasks, each delayed up to 5 s. */
const LONG_RUN = { connection_count: 20, connection_value: 100, delay_range: 5, wait: 'none' };
/**
 * A run that cannot have sent everything when it is cancelled, however fast the machine: it may
 * send at most REORDER_WINDOW tasks past its written prefix, and 1,900 tasks written would need
 * 1,900 random delays in [0, 60] s to have ended within the moment before the DELETE.
 */
const WINDOW = 100;
const CANCELLABLE_RUN = { ...LONG_RUN, delay_range: 60 };

describe('runs as a REST resource (monolith over TCP)', () => {
  let sut: TestSystem;

  beforeAll(async () => {
    sut = await startTestSystem({ REORDER_WINDOW: String(WINDOW) });
  });

  afterAll(async () => {
    await sut?.close();
  });

  const runCount = async (): Promise<number> =>
    (await send<Page>('GET', `${sut.baseUrl}/runs`)).body.total;

  it('POST /runs answers 201 with Location and the same fields as GET /', async () => {
    const shape = { connection_count: 4, connection_value: 5, delay_range: 0.1, wait: 'saved' };
    const created = await send<RunView>('POST', `${sut.baseUrl}/runs`, shape);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/runs/${created.body.runId}`);
    expect(created.body).toMatchObject({ connectionCount: 4, connectionValue: 5, total: 20 });
    await expectOrderedFile(created.body.file, created.body);

    const query = new URLSearchParams(
      Object.entries(shape).map(([key, value]): [string, string] => [key, String(value)]),
    );
    const legacy = await send<RunView>('GET', `${sut.baseUrl}/?${query.toString()}`);
    expect(legacy.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(Object.keys(legacy.body).sort());
  });

  it('POST /runs with wait=none answers 202 at once, with Location', async () => {
    const accepted = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
      connection_count: 2,
      connection_value: 2,
      delay_range: 0,
      wait: 'none',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/runs/${accepted.body.runId}`);
    expect((await settledRun(sut.baseUrl, accepted.body.runId)).state).toBe('completed');
  });

  it('POST /runs takes digits in strings too, and uses the defaults for what is left out', async () => {
    const answer = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
      connection_count: '3',
      delay_range: '0',
      wait: 'none',
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ connectionCount: 3, connectionValue: 10, delayRange: 0 });
    await settledRun(sut.baseUrl, answer.body.runId);
  });

  it('HEAD / answers 200 and starts nothing', async () => {
    const before = await runCount();
    const head = await fetch(`${sut.baseUrl}/?connection_count=10&connection_value=10`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(200);
    expect(await runCount()).toBe(before);
  });

  it('GET /runs lists runs newest first, in pages, filtered by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
        connection_count: 1,
        connection_value: 1,
        delay_range: 0,
        wait: 'saved',
      });
      ids.push(body.runId);
    }
    const first = await send<Page>('GET', `${sut.baseUrl}/runs?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.runs.map((run) => run.runId)).toEqual([ids[2], ids[1]]);
    expect(first.body).toMatchObject({ limit: 2, offset: 0 });
    const second = await send<Page>('GET', `${sut.baseUrl}/runs?limit=1&offset=2`);
    expect(second.body.runs.map((run) => run.runId)).toEqual([ids[0]]);
    expect(second.body.total).toBe(first.body.total);

    const completed = await send<Page>('GET', `${sut.baseUrl}/runs?state=completed&limit=1000`);
    expect(completed.body.runs.length).toBeGreaterThanOrEqual(3);
    expect(completed.body.runs.every((run) => run.state === 'completed')).toBe(true);
    const none = await send<Page>('GET', `${sut.baseUrl}/runs?state=interrupted`);
    expect(none.body).toMatchObject({ runs: [], total: 0 });
  });

  it.each([
    ['state=done', 'state must be one of'],
    ['limit=0', 'limit must not be less than 1'],
    ['limit=1001', 'limit must not be greater than 1000'],
    ['offset=-1', 'offset must be a whole number'],
    ['offset=0x1', 'offset must be a whole number'],
    ['page=2', 'page is not a known parameter'],
  ])('GET /runs?%s answers 400: %s', async (query, reason) => {
    const { status, body } = await send<ErrorBody>('GET', `${sut.baseUrl}/runs?${query}`);
    expect(status).toBe(400);
    expect(body.message).toEqual([expect.stringContaining(reason)]);
  });

  it('DELETE /runs/:runId cancels a run in progress; the saver closes its file', async () => {
    const { body: started } = await send<RunView>('POST', `${sut.baseUrl}/runs`, CANCELLABLE_RUN);
    const url = `${sut.baseUrl}/runs/${started.runId}`;
    await until<RunView>(url, ({ body }) => body.sent > 0);
    const cancelled = await send<RunView>('DELETE', url);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const sentThen = cancelled.body.sent;
    // Nothing more leaves once cancelled, and the run stays cancelled.
    const later = await send<RunView>('GET', url);
    expect(later.body.state).toBe('cancelled');
    expect(later.body.sent).toBe(sentThen);
    expect(later.body.sent).toBeLessThan(later.body.total);
    // A second DELETE answers the cancelled run again.
    expect((await send<RunView>('DELETE', url)).status).toBe(200);
    const listed = await send<Page>('GET', `${sut.baseUrl}/runs?state=cancelled`);
    expect(listed.body.runs.map((run) => run.runId)).toContain(started.runId);
  });

  it('DELETE answers 404 for an unknown run and 409 for one that has completed', async () => {
    const unknown = await send<ErrorBody>(
      'DELETE',
      `${sut.baseUrl}/runs/20260101T000000000Z-0001-deadbeef`,
    );
    expect(unknown.status).toBe(404);
    const { body: done } = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
      connection_count: 1,
      connection_value: 1,
      delay_range: 0,
      wait: 'saved',
    });
    const conflict = await send<ErrorBody>('DELETE', `${sut.baseUrl}/runs/${done.runId}`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toContain('completed');
  });

  it.each([
    ['PUT', '/', 'GET, HEAD'],
    ['DELETE', '/', 'GET, HEAD'],
    ['PATCH', '/runs', 'GET, HEAD, POST'],
    ['PUT', '/runs/20260101T000000000Z-0001-deadbeef', 'DELETE, GET, HEAD'],
    ['POST', '/health/ready', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allowed) => {
    const before = await runCount();
    const { status, headers, body } = await send<ErrorBody>(method, `${sut.baseUrl}${path}`);
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe(allowed);
    expect(body).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    expect(await runCount()).toBe(before);
  });

  it('answers 404 for a path that is not served at all', async () => {
    expect((await send('GET', `${sut.baseUrl}/nothing-here`)).status).toBe(404);
  });
});

describe('admission: a full queue answers 429 with Retry-After', () => {
  let sut: TestSystem;

  beforeAll(async () => {
    sut = await startTestSystem({
      MAX_ACTIVE_RUNS: '1',
      MAX_QUEUED_RUNS: '0',
      REORDER_WINDOW: String(WINDOW),
    });
  });

  afterAll(async () => {
    await sut?.close();
  });

  /** Starts a run once the previous test's cancelled run has let go of its place. */
  const admitted = async (): Promise<RunView> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await send<RunView>('POST', `${sut.baseUrl}/runs`, CANCELLABLE_RUN);
      if (answer.status !== 429 || Date.now() > deadline) return answer.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it.each(['GET', 'POST'])('%s: the second run is refused while the first runs', async (method) => {
    const first = await admitted();
    expect(first.state).toBe('sending');
    const second =
      method === 'POST'
        ? await send<ErrorBody>('POST', `${sut.baseUrl}/runs`, LONG_RUN)
        : await send<ErrorBody>('GET', `${sut.baseUrl}/?wait=none`);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.body.message).toContain('MAX_QUEUED_RUNS');
    expect((await send('DELETE', `${sut.baseUrl}/runs/${first.runId}`)).status).toBe(200);
  });
});
