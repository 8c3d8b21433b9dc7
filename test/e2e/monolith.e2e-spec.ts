import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { requestRun, send, settledRun, startRun } from '../support/http.js';
import { expectOrderedFile } from '../support/ordered-file.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

// The monolith over real TCP sockets (the default) and over the in-process transport.
describe.each(['tcp', 'local'])(
  'monolith over %s (all four modules in one process)',
  (transport) => {
    let sut: TestSystem;

    beforeAll(async () => {
      sut = await startTestSystem({ TRANSPORT: transport });
    });

    afterAll(async () => {
      await sut?.close();
    });

    const expectComplete = async (view: RunView) => {
      expect(view.state).toBe('completed');
      expect(view.sent).toBe(view.total);
      expect(view.failed).toBe(0);
      expect(view.written).toBe(view.total);
      expect(existsSync(view.file)).toBe(true);
      await expectOrderedFile(view.file, view);
    };

    it.each([
      [1, 300, 0.3],
      [50, 40, 0.3],
      [200, 5, 0.3],
    ])(
      'writes a %i×%i run (delay_range %s s) in send order',
      async (connections, values, delay) => {
        const { status, body } = await requestRun(sut.baseUrl, connections, values, delay, 'saved');
        expect(status).toBe(200);
        expect(body.total).toBe(connections * values);
        expect(body.acked).toBe(body.total);
        await expectComplete(body);
      },
    );

    it('uses the defaults (10×10) and answers once every task is acknowledged', async () => {
      const { status, body } = await startRun(sut.baseUrl, { delay_range: 0.2 });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        connectionCount: 10,
        connectionValue: 10,
        delayRange: 0.2,
        total: 100,
      });
      expect(body.acked).toBe(100);
      expect(['saving', 'completed']).toContain(body.state);
      expect(body.runId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      await expectComplete(await settledRun(sut.baseUrl, body.runId));
    });

    it('answers at once with 202 for wait=none, and GET /runs/:runId follows the run', async () => {
      const { status, body } = await requestRun(sut.baseUrl, 20, 20, 0.5, 'none');
      expect(status).toBe(202);
      expect(body.state).toBe('sending');
      expect(body.written).toBe(0);
      const live = await send<RunView>('GET', `${sut.baseUrl}/runs/${body.runId}`);
      expect(live.status).toBe(200);
      expect(live.body.runId).toBe(body.runId);
      expect(live.body.total).toBe(400);
      await expectComplete(await settledRun(sut.baseUrl, body.runId));
    });

    it('keeps two runs at once apart, each file in its own order', async () => {
      const shapes = [
        { connection_count: 30, connection_value: 30, delay_range: 0.4, wait: 'saved' },
        { connection_count: 7, connection_value: 90, delay_range: 0.2, wait: 'saved' },
      ];
      const answers = await Promise.all(shapes.map((shape) => startRun(sut.baseUrl, shape)));
      expect(answers[0].body.runId).not.toBe(answers[1].body.runId);
      for (const { body } of answers) await expectComplete(body);
    });

    it('answers 404 for an unknown run and for an id that could not be one', async () => {
      for (const runId of [
        '20260101T000000000Z-0001-deadbeef',
        'no%20such%20run',
        '..%2F..%2Fetc',
      ]) {
        const { status, body } = await send<{ statusCode: number; message: string }>(
          'GET',
          `${sut.baseUrl}/runs/${runId}`,
        );
        expect(status).toBe(404);
        expect(body.statusCode).toBe(404);
      }
    });

    it.each([
      ['connection_count=0', 'connection_count'],
      ['connection_count=-5', 'connection_count'],
      ['connection_count=abc', 'connection_count'],
      ['connection_count=1.5', 'connection_count'],
      ['connection_value=0', 'connection_value'],
      ['connection_value=2.5', 'connection_value'],
      ['connection_value=x', 'connection_value'],
      ['delay_range=-1', 'delay_range'],
      ['delay_range=1e12', 'delay_range'],
      ['delay_range=later', 'delay_range'],
      ['connection_count=1001', 'connection_count'],
      ['connection_value=10001', 'connection_value'],
      ['connection_count=1000&connection_value=1001', 'MAX_TASKS'],
      ['wait=forever', 'wait'],
      ['unknown=1', 'unknown'],
    ])('answers 400 naming the field for ?%s', async (query, field) => {
      const { status, body } = await send<{
        statusCode: number;
        error: string;
        message: string[];
      }>('GET', `${sut.baseUrl}/?${query}`);
      expect(status).toBe(400);
      expect(body.statusCode).toBe(400);
      expect(body.error).toBe('Bad Request');
      expect(body.message.join('; ')).toContain(field);
    });
  },
);
