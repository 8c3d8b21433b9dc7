import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { readdir } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import type { Result, Task } from '../../src/common/contracts/messages.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { RunsService } from '../../src/client/runs.service.js';
import { ProcessorService } from '../../src/processor/processor.service.js';
import { SaverObservers } from '../../src/saver/saver-observers.js';
import { SaverService } from '../../src/saver/saver.service.js';
import { requestRun, settledRun, startRun } from '../support/http.js';
import { expectOrderedFile, expectStillOrders } from '../support/ordered-file.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

/** Answers what a request to a listener answered: its reply, or the error it was refused with. */
async function answerOf(proxy: ClientProxy, pattern: string, data: unknown): Promise<unknown> {
  try {
    return await lastValueFrom(proxy.send(pattern, data));
  } catch (error) {
    return error;
  }
}

/** A well-formed result of a run the test made up, as a hostile peer would send it to the saver. */
const forgedResult = (runId: string, seq: number, total: number): Result => ({
  runId,
  seq,
  total,
  conn: 1,
  idx: seq,
  value: 1,
  sentAt: 1,
  delayRange: 0,
  processedAt: 2,
  delayMs: 0,
  processor: 'forger:1',
});

const tcpClient = (port: number): ClientProxy =>
  ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });

/** The settings as environment strings; the suites keep them as numbers to check against. */
const asEnv = (settings: Record<string, number>): Record<string, string> =>
  Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, String(value)]));

/** Every bound far below a run's size, so that the run presses against each of them. */
const TIGHT = {
  REORDER_WINDOW: 40,
  // Three runs could hold 3 × 40: the client's budget holds them to 50 together.
  MAX_UNWRITTEN_TASKS: 50,
  PROCESSOR_MAX_HELD: 15,
  RUN_WINDOW: 12,
  SEND_WINDOW: 4,
  LINK_WINDOW: 3,
  LINK_QUEUE: 6,
  LINK_SOCKETS: 2,
  SAVER_MAX_OPEN_RUNS: 3,
  // Below one run's REORDER_WINDOW: the saver as a whole holds less than one run may.
  SAVER_MAX_HELD: 25,
};

/** Bounds that forged messages from a hostile peer fill, and timeouts short enough to see it. */
const AGAINST_FORGERS = {
  PROCESSOR_MAX_HELD: 50,
  LINK_WINDOW: 4,
  LINK_SOCKETS: 2,
  // A task that finds the processor full waits a quarter of this before it is refused.
  REQUEST_TIMEOUT_MS: 400,
  DELIVERY_TIMEOUT_MS: 2000,
  SAVER_MAX_HELD: 100,
};

describe('bounds: every queue and buffer has one, and pushing back loses nothing', () => {
  describe('a run larger than every bound', () => {
    let sut: TestSystem;
    let mostBuffered = 0;
    let mostOpenRuns = 0;
    let mostUnwritten = 0;
    let mostHeld = 0;

    beforeAll(async () => {
      sut = await startTestSystem(asEnv(TIGHT));
      sut.system.get('saver', SaverObservers)?.add({
        released: (_run, _first, _count, buffered) => {
          mostBuffered = Math.max(mostBuffered, buffered);
        },
      });
    });

    afterAll(async () => {
      await sut?.close();
    });

    it('completes exactly while the client, the processor, the links and the reorder buffer stay within theirs', async () => {
      const saver = sut.system.get('saver', SaverService) as SaverService;
      const runs = sut.system.get('client', RunsService) as RunsService;
      const watch = setInterval(() => {
        mostOpenRuns = Math.max(mostOpenRuns, saver.openRuns);
        mostHeld = Math.max(mostHeld, saver.heldResults);
        // Counted from the runs themselves, not from the budget's own count.
        const unwritten = runs
          .list({ limit: 10, offset: 0 })
          .runs.reduce((sum, run) => sum + run.sent - run.view().written, 0);
        mostUnwritten = Math.max(mostUnwritten, unwritten);
      }, 1);
      try {
        // Three runs at once, each far larger than every bound.
        const answers = await Promise.all(
          [1, 2, 3].map(() => requestRun(sut.baseUrl, 20, 30, 0.2, 'saved')),
        );
        for (const { body } of answers) {
          expect({ state: body.state, error: body.error }).toEqual({
            state: 'completed',
            error: undefined,
          });
          await expectOrderedFile(body.file, body);
        }
      } finally {
        clearInterval(watch);
      }
      const processor = sut.system.get('processor', ProcessorService) as ProcessorService;
      expect(processor.peakHeld).toBeGreaterThan(0);
      expect(processor.peakHeld).toBeLessThanOrEqual(TIGHT.PROCESSOR_MAX_HELD);
      // Results wait behind a gap, but never REORDER_WINDOW of them.
      expect(mostBuffered).toBeLessThan(TIGHT.REORDER_WINDOW);
      expect(mostOpenRuns).toBeLessThanOrEqual(TIGHT.SAVER_MAX_OPEN_RUNS);
      expect(mostHeld).toBeGreaterThan(0);
      expect(mostHeld).toBeLessThanOrEqual(TIGHT.SAVER_MAX_HELD);
      expect(saver.heldResults).toBe(0);
      expect(mostUnwritten).toBeGreaterThan(0);
      expect(mostUnwritten).toBeLessThanOrEqual(TIGHT.MAX_UNWRITTEN_TASKS);
    });
  });

  describe('admission control', () => {
    let sut: TestSystem;

    beforeAll(async () => {
      sut = await startTestSystem({ MAX_ACTIVE_RUNS: '1', MAX_QUEUED_RUNS: '1' });
    });

    afterAll(async () => {
      await sut?.close();
    });

    it('queues a run that does not fit, refuses one beyond the queue with 429, and runs both it took', async () => {
      const shape = { connection_count: 5, connection_value: 20, delay_range: 0.5, wait: 'none' };
      const first = await startRun(sut.baseUrl, shape);
      const second = await startRun(sut.baseUrl, shape);
      const third = await fetch(`${sut.baseUrl}/?connection_count=1&connection_value=1&wait=none`);
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.state).toBe('queued');
      expect(third.status).toBe(429);
      expect(JSON.stringify(await third.json())).toContain('MAX_QUEUED_RUNS');

      for (const { body } of [first, second]) {
        const view = await settledRun(sut.baseUrl, body.runId, 30_000);
        expect(view.state).toBe('completed');
        await expectOrderedFile(view.file, view);
      }
    });
  });

  describe('hostile peers', () => {
    let sut: TestSystem;
    let saver: ClientProxy;
    let processor: ClientProxy;

    beforeAll(async () => {
      sut = await startTestSystem(asEnv(AGAINST_FORGERS));
      saver = tcpClient(sut.settings.peers.saver.port);
      processor = tcpClient(sut.settings.peers.processor.port);
    });

    afterAll(async () => {
      await closeAll(
        () => saver?.close(),
        () => processor?.close(),
        () => sut?.close(),
      );
    });

    afterEach(async () => {
      await expectStillOrders(sut.baseUrl);
    });

    it('answers status queries and results for runs it never opened, and creates nothing', async () => {
      const service = sut.system.get('saver', SaverService) as SaverService;
      const answers = await Promise.all(
        Array.from({ length: 500 }, (_, at) =>
          answerOf(saver, Patterns.saverStatus, { runId: `forged-${at}`, total: 10 }),
        ),
      );
      expect(answers.every((answer) => (answer as { state?: string }).state === 'unknown')).toBe(
        true,
      );
      const refused = await answerOf(
        saver,
        Patterns.saverResult,
        forgedResult('forged-result', 1, 1),
      );
      expect(refused).toMatchObject({ status: 'error' });
      // No run file (the client's journal folder, STATE_DIR, is there by default).
      expect((await readdir(sut.outputDir)).filter((name) => name !== 'state')).toEqual([]);
      expect(service.openRuns).toBe(0);
    });

    it('holds no more results behind gaps than SAVER_MAX_HELD over all runs, refusing the rest for now', async () => {
      const service = sut.system.get('saver', SaverService) as SaverService;
      const runIds = ['forged-gaps-1', 'forged-gaps-2', 'forged-gaps-3'];
      const total = 1000;
      for (const runId of runIds) {
        expect(await answerOf(saver, Patterns.saverOpen, { runId, total })).toMatchObject({
          state: 'writing',
        });
      }
      // Seq 1 never comes: every one of these results would wait behind the gap.
      const result = (runId: string, seq: number) => forgedResult(runId, seq, total);
      const answers = await Promise.all(
        runIds.flatMap((runId) =>
          Array.from({ length: 80 }, (_, at) =>
            answerOf(saver, Patterns.saverResult, result(runId, at + 2)),
          ),
        ),
      );
      const taken = answers.filter((answer) => (answer as { accepted?: boolean }).accepted);
      const refusedForNow = answers.filter(
        (answer) => (answer as { retryable?: boolean }).retryable === true,
      );
      expect(taken).toHaveLength(AGAINST_FORGERS.SAVER_MAX_HELD);
      // Every other one is refused for now.
      expect(refusedForNow).toHaveLength(answers.length - AGAINST_FORGERS.SAVER_MAX_HELD);
      expect(service.heldResults).toBe(AGAINST_FORGERS.SAVER_MAX_HELD);
      // The next seq of a run is never refused: it is written, and what waited behind it follows.
      expect(await answerOf(saver, Patterns.saverResult, result(runIds[0], 1))).toMatchObject({
        accepted: true,
      });
      expect(service.heldResults).toBeLessThan(AGAINST_FORGERS.SAVER_MAX_HELD);
      for (const runId of runIds) await answerOf(saver, Patterns.saverCancel, { runId, total });
      expect(service.heldResults).toBe(0);
    });

    it('holds no more forged tasks than PROCESSOR_MAX_HELD, refusing the rest for now', async () => {
      const service = sut.system.get('processor', ProcessorService) as ProcessorService;
      const task = (seq: number): Task => ({
        runId: 'forged-tasks',
        seq,
        total: 1000,
        conn: 1,
        idx: seq,
        value: 1,
        sentAt: Date.now(),
        delayRange: 2,
      });
      const answers = await Promise.all(
        Array.from({ length: 300 }, (_, at) =>
          answerOf(processor, Patterns.processorTask, task(at + 1)),
        ),
      );
      const acked = answers.filter((answer) => (answer as { asyncAnswer?: string }).asyncAnswer);
      const refusedForNow = answers.filter(
        (answer) => (answer as { retryable?: boolean }).retryable === true,
      );
      // Some forged tasks end quickly (short delays, and the saver refuses their results), so a
      // few more than 50 may be taken in turn; never more than 50 at once.
      expect(acked.length).toBeGreaterThanOrEqual(50);
      expect(refusedForNow.length).toBeGreaterThan(150);
      expect(acked.length + refusedForNow.length).toBe(300);
      expect(service.peakHeld).toBe(AGAINST_FORGERS.PROCESSOR_MAX_HELD);
      // A delay above MAX_DELAY is refused for good.
      const tooLong = await answerOf(processor, Patterns.processorTask, {
        ...task(999),
        delayRange: 3600,
      });
      expect(tooLong).toMatchObject({ status: 'error' });
      expect((tooLong as { retryable?: boolean }).retryable).toBeUndefined();
    });
  });
});
