import type { RunProgress, RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import { pino } from 'pino';
import { requestRun, savedRun, send } from '../support/http.js';
import { eventually, SseReader } from '../support/sse.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

/** What the system's request log says of one request (pino-http's line). */
interface RequestLine {
  readonly req: { readonly method: string; readonly url: string };
  readonly res: { readonly statusCode: number };
}

interface Received {
  readonly type: string;
  readonly id: string;
  readonly progress: RunProgress;
}

describe('a standard EventSource (the `eventsource` package) following a run', () => {
  let sut: TestSystem;
  const requests: RequestLine[] = [];

  beforeAll(async () => {
    // The system's own request log, kept: it counts the connections the EventSource made.
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as Partial<RequestLine>;
          if (entry.req && entry.res) requests.push(entry as RequestLine);
        },
      },
    );
    sut = await startTestSystem({}, undefined, { pino: logger });
  });

  afterAll(async () => {
    await sut.close();
  });

  const eventsUrl = (runId: string): string => `${sut.baseUrl}/runs/${runId}/events`;

  /** The statuses the server answered to the requests for a run's events, in order. */
  const answered = (runId: string): number[] =>
    requests
      .filter(({ req }) => req.method === 'GET' && req.url === `/runs/${runId}/events`)
      .map(({ res }) => res.statusCode);

  /** Follows a run with an EventSource until the EventSource gives up by itself (CLOSED). */
  async function follow(runId: string): Promise<{ received: Received[]; errors: unknown[] }> {
    const source = new EventSource(eventsUrl(runId));
    const received: Received[] = [];
    const errors: unknown[] = [];
    for (const type of ['progress', 'end'])
      source.addEventListener(type, (event) => {
        received.push({
          type,
          id: event.lastEventId,
          progress: JSON.parse(event.data as string) as RunProgress,
        });
      });
    source.addEventListener('error', (event) => errors.push(event.code));
    try {
      await eventually(
        () => source.readyState === EventSource.CLOSED,
        'the EventSource stopped',
        30_000,
      );
    } finally {
      source.close();
    }
    return { received, errors };
  }

  it('receives progress, then `end` exactly once, and stops: the reconnection gets 204', async () => {
    const { body: run } = await requestRun(sut.baseUrl, 5, 20, 1, 'none');
    const { received, errors } = await follow(run.runId);

    expect(received.filter((event) => event.type === 'end')).toHaveLength(1);
    const end = received.at(-1)!;
    expect(end).toMatchObject({ type: 'end', id: 'end' });
    expect(end.progress).toMatchObject({ state: 'completed', written: 100 });
    const progress = received.slice(0, -1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((event) => event.id)).toEqual(progress.map((_, i) => String(i + 1)));
    // The EventSource's own account: an `error` event as the stream closed (it reconnects), then
    // the 204 that stopped it.
    expect(errors).toEqual([undefined, 204]);
    // The server's account: the stream, then one reconnection, answered 204; nothing since.
    await eventually(() => answered(run.runId).length >= 2, 'the reconnection was logged');
    expect(answered(run.runId)).toEqual([200, 204]);
  });

  it('receives the `end` of a run that has ended once, and stops', async () => {
    const run = await savedRun(sut.baseUrl, 2, 5, 0.1);
    const { received, errors } = await follow(run.runId);

    expect(received.map(({ type, id }) => ({ type, id }))).toEqual([{ type: 'end', id: 'end' }]);
    expect(received[0].progress).toMatchObject({ state: 'completed', written: 10 });
    expect(errors).toEqual([undefined, 204]);
    await eventually(() => answered(run.runId).length >= 2, 'the reconnection was logged');
    expect(answered(run.runId)).toEqual([200, 204]);
  });

  it('resumes a reconnection from the current state, numbering on from Last-Event-ID', async () => {
    // 50 delays of up to 10 s: the run cannot end within the first seconds.
    const { body: run } = await requestRun(sut.baseUrl, 5, 10, 10, 'none');
    const resumed = await SseReader.open(sut.baseUrl, run.runId, '41');
    expect(resumed.status).toBe(200);
    expect(await resumed.next()).toMatchObject({ type: 'progress', id: '42' });
    resumed.abort();

    // `end` is only believed of a run that has ended: this one streams as usual.
    const early = await SseReader.open(sut.baseUrl, run.runId, 'end');
    expect(early.status).toBe(200);
    expect(await early.next()).toMatchObject({ type: 'progress', id: '1' });
    early.abort();

    const { body: cancelled } = await send<RunView>('DELETE', `${sut.baseUrl}/runs/${run.runId}`);
    expect(cancelled.state).toBe('cancelled');
    // A client whose last event was a progress event has not had the end: it gets it.
    const missed = await (await SseReader.open(sut.baseUrl, run.runId, '42')).rest();
    expect(missed.map(({ type, id }) => ({ type, id }))).toEqual([{ type: 'end', id: 'end' }]);
    expect(missed[0].progress.state).toBe('cancelled');

    const over = await fetch(eventsUrl(run.runId), { headers: { 'Last-Event-ID': 'end' } });
    expect(over.status).toBe(204);
    expect(await over.text()).toBe('');
  });

  it('answers 404 for an unknown run, whatever Last-Event-ID says', async () => {
    const unknown = eventsUrl('20260101T000000000Z-0001-deadbeef');
    for (const headers of [{}, { 'Last-Event-ID': 'end' }] as Record<string, string>[]) {
      const response = await fetch(unknown, { headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      await response.body?.cancel();
    }
  });
});
