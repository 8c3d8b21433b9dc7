import type { RunReport, RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { finalize } from 'rxjs';
import { PROGRESS_INTERVAL_MS } from '../../src/client/progress/progress-stream.js';
import { RunEvents } from '../../src/client/run-events.js';
import { ARRIVAL_POINTS } from '../../src/saver/report/saver-run-recording.js';
import { send, startRun, savedRun } from '../support/http.js';
import { eventually, SseReader } from '../support/sse.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

const PROGRESS_FIELDS = [
  'runId',
  'state',
  'total',
  'sent',
  'acked',
  'failed',
  'resent',
  'written',
  'waitingFor',
  'buffered',
  'duplicates',
  'elapsedMs',
  'ackRate',
  'writeRate',
];

describe('watching a run: progress over SSE and the report data (monolith over TCP)', () => {
  let sut: TestSystem;

  beforeAll(async () => {
    sut = await startTestSystem();
  });

  afterAll(async () => {
    await sut?.close();
  });

  const start = async (query: Record<string, string | number>): Promise<RunView> =>
    (await startRun(sut.baseUrl, { wait: 'none', ...query })).body;

  describe('GET /runs/:runId/events', () => {
    it('sends progress at most every 250 ms, then one end event, and closes', async () => {
      const run = await start({ connection_count: 20, connection_value: 50, delay_range: 1 });
      const stream = await SseReader.open(sut.baseUrl, run.runId);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      const events = await stream.rest();

      const end = events.at(-1)!;
      expect(end.type).toBe('end');
      expect(end.progress).toMatchObject({ state: 'completed', written: 1000, total: 1000 });
      const progress = events.slice(0, -1);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((event) => event.type === 'progress')).toBe(true);
      for (const { progress: p } of events) {
        expect(Object.keys(p).sort()).toEqual([...PROGRESS_FIELDS].sort());
        expect(p.runId).toBe(run.runId);
      }
      // Counters only grow, and the server spaces its events (its own clock: elapsedMs).
      for (let i = 1; i < progress.length; i++) {
        const [before, after] = [progress[i - 1].progress, progress[i].progress];
        expect(after.written).toBeGreaterThanOrEqual(before.written);
        expect(after.acked).toBeGreaterThanOrEqual(before.acked);
        expect(after.elapsedMs - before.elapsedMs).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS - 5);
      }
    });

    it('answers a run that has ended with its end event at once', async () => {
      const run = await savedRun(sut.baseUrl, 2, 5, 0.1);
      const events = await (await SseReader.open(sut.baseUrl, run.runId)).rest();
      expect(events.map((event) => event.type)).toEqual(['end']);
      expect(events[0].progress).toMatchObject({ state: 'completed', written: 10 });
    });

    it('answers 404 for an unknown run', async () => {
      const { status } = await send(
        'GET',
        `${sut.baseUrl}/runs/20260101T000000000Z-0001-deadbeef/events`,
      );
      expect(status).toBe(404);
    });

    it('lets go of the run when its client goes away; the run carries on', async () => {
      // RunningSystem.get cannot reach the client's providers (see the report): spy on the class.
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
      const ofRun = RunEvents.prototype.of;
      let released = 0;
      const spy = jest.spyOn(RunEvents.prototype, 'of').mockImplementation(function (
        this: RunEvents,
        runId: string,
      ) {
        return ofRun.call(this, runId).pipe(finalize(() => released++));
      });
      try {
        // 50 delays of up to 10 s: the run cannot end within the first seconds.
        const run = await start({ connection_count: 5, connection_value: 10, delay_range: 10 });
        const stream = await SseReader.open(sut.baseUrl, run.runId);
        expect((await stream.next())?.type).toBe('progress');
        stream.abort();
        // Both of the stream's subscriptions to the run's events end.
        await eventually(() => released === 2, 'the stream unsubscribed');
        const { body } = await send<RunView>('GET', `${sut.baseUrl}/runs/${run.runId}`);
        expect(['sending', 'saving']).toContain(body.state);
        // Another client still follows it.
        const again = await SseReader.open(sut.baseUrl, run.runId);
        expect((await again.next())?.type).toBe('progress');
        again.abort();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('GET /runs/:runId/report.json', () => {
    it('combines what the client and the saver recorded of a run', async () => {
      const total = 20 * 50;
      const run = await savedRun(sut.baseUrl, 20, 50, 0.3);
      const { status, body } = await send<RunReport>(
        'GET',
        `${sut.baseUrl}/runs/${run.runId}/report.json`,
      );
      expect(status).toBe(200);
      expect(body.summary).toMatchObject({
        tasks: total,
        written: total,
        state: 'completed',
        failed: 0,
      });
      expect(body.summary.ackMs.count).toBe(total);
      expect(body.summary.ackMs.p99).toBeGreaterThanOrEqual(body.summary.ackMs.p50);

      const saver = body.saver!;
      // A loaded machine may make the repair send a few tasks again: the saver drops those.
      expect(saver).toMatchObject({ known: true, released: total });
      // A duplicate that comes after the last line is counted, not received (a starved machine).
      expect(saver.received).toBeGreaterThanOrEqual(total);
      expect(saver.received).toBeLessThanOrEqual(total + saver.duplicates);
      expect(body.summary.duplicates).toBe(saver.duplicates);
      // Below the sample's capacity, every arrival, each seq at least once.
      expect(saver.arrivals.seen).toBe(saver.received);
      expect(saver.arrivals.x).toEqual(Array.from({ length: saver.received }, (_, i) => i + 1));
      expect(new Set(saver.arrivals.y).size).toBe(total);
      expect(Math.min(...saver.arrivals.y)).toBe(1);
      expect(Math.max(...saver.arrivals.y)).toBe(total);
      expect(saver.delays.counts.reduce((a, b) => a + b, 0)).toBe(saver.received);
      expect(saver.delays.bucketWidth * saver.delays.counts.length).toBeLessThanOrEqual(2 * 301);
      expect(saver.reorderWaitMs.count).toBe(total);
      expect(body.summary.reorderWaitMs).toEqual(saver.reorderWaitMs);
      expect(saver.timeline.columns.buffered.at(-1)).toBe(0);
      expect(saver.timeline.columns.written.at(-1)).toBe(total);

      const { t, columns } = body.progress;
      expect(t.length).toBeGreaterThan(1);
      expect(columns.sent.at(-1)).toBe(total);
      expect(columns.acked.at(-1)).toBe(total);
      expect(columns.written.at(-1)).toBe(total);
      expect(t[0]).toBeGreaterThanOrEqual(body.startedAt);
    });

    it('stays bounded for a larger run: the arrivals are sampled', async () => {
      const run = await savedRun(sut.baseUrl, 10, 1000, 0.1);
      const { body } = await send<RunReport>('GET', `${sut.baseUrl}/runs/${run.runId}/report.json`);
      const { arrivals } = body.saver!;
      // Every arrival is seen, duplicates included (a loaded machine can make a few).
      expect(arrivals.seen).toBe(body.saver!.received);
      expect(arrivals.seen).toBeGreaterThanOrEqual(10_000);
      expect(arrivals.x.length).toBeLessThanOrEqual(ARRIVAL_POINTS);
      expect(arrivals.x.length).toBeGreaterThan(ARRIVAL_POINTS / 2);
    });
  });

  describe('GET /runs/:runId/report', () => {
    it('serves the page with its assets from the app only', async () => {
      const run = await savedRun(sut.baseUrl, 2, 5, 0.1);
      const page = await fetch(`${sut.baseUrl}/runs/${run.runId}/report`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1]);
      expect(assets.sort()).toEqual(
        [
          '/report-assets/report.css',
          '/report-assets/report.js',
          '/report-assets/uPlot.iife.min.js',
          '/report-assets/uPlot.min.css',
        ].sort(),
      );
      for (const asset of assets) expect((await fetch(`${sut.baseUrl}${asset}`)).status).toBe(200);
      expect((await fetch(`${sut.baseUrl}/report-assets/..%2Fpackage.json`)).status).toBe(404);
      expect((await fetch(`${sut.baseUrl}/runs/nope/report`)).status).toBe(404);
    });
  });
});
