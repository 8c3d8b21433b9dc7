import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView } from '../../src/client/run.js';
import { freePort } from '../support/free-port.js';
import { sample } from '../support/metrics.js';
import { send, until } from '../support/http.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

interface Health {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; reason?: string; peer?: string }>;
}

describe('health and metrics, the saver in a process of its own', () => {
  let dir: string;
  let saver: TestSystem | undefined;
  let rest: TestSystem | undefined;

  afterEach(async () => {
    const [restOf, saverOf] = [rest, saver];
    rest = saver = undefined;
    await closeAll(
      () => restOf?.close(),
      () => saverOf?.close(),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const start = async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-health-'));
    const port = String(await freePort());
    saver = await startTestSystem({ MODULES: 'saver', SAVER_PORT: port }, dir);
    rest = await startTestSystem({ MODULES: 'client,server,processor', SAVER_PORT: port }, dir);
    return { saver, rest, opsUrl: `http://127.0.0.1:${saver.settings.opsPorts.saver}` };
  };

  it('is ready while its peers answer, and 503 naming the saver once it stops', async () => {
    const { saver: stopping, rest: client, opsUrl } = await start();
    const ready = await send<Health>('GET', `${client.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.info ?? {}).sort()).toEqual(['processor', 'saver', 'server']);
    // The saver's own process answers on its ops port (0 in the settings: a free one).
    expect(stopping.settings.opsPorts.saver).toBeGreaterThan(0);
    const saverReady = await send<Health>('GET', `${opsUrl}/health/ready`);
    expect(saverReady.status).toBe(200);
    expect(saverReady.body.info?.outputDir.status).toBe('up');

    await stopping.close();
    saver = undefined;
    const down = await until<Health>(
      `${client.baseUrl}/health/ready`,
      ({ status }) => status === 503,
    );
    expect(down.body.status).toBe('error');
    expect(down.body.error?.saver.status).toBe('down');
    expect(down.body.error?.saver.peer).toContain('saver at 127.0.0.1:');
    expect(down.body.error?.saver.reason).toBeTruthy();
    // Alive all the same, and the peers that answer still say so.
    expect((await send('GET', `${client.baseUrl}/health/live`)).status).toBe(200);
    expect(down.body.info?.server.status).toBe('up');
  });

  it('counts a run: tasks on the client, lines on the saver, runs by state', async () => {
    const { rest: client, opsUrl } = await start();
    const { body: run } = await send<RunView>('POST', `${client.baseUrl}/runs`, {
      connection_count: 3,
      connection_value: 4,
      delay_range: 0,
      wait: 'saved',
    });
    expect(run.state).toBe('completed');
    const metrics = await fetch(`${client.baseUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(sample(text, 'pipeline_tasks_sent_total')).toBe(12);
    expect(sample(text, 'pipeline_tasks_acked_total')).toBe(12);
    expect(sample(text, 'pipeline_tasks_failed_total')).toBe(0);
    expect(sample(text, 'pipeline_runs{state="completed"}')).toBe(1);
    expect(sample(text, 'pipeline_runs{state="sending"}')).toBe(0);
    expect(sample(text, 'pipeline_hop_seconds_count{from="client",to="server"}')).toBe(12);
    expect(sample(text, 'pipeline_hop_seconds_count{from="processor",to="saver"}')).toBe(12);
    expect(sample(text, 'pipeline_processor_held_tasks')).toBe(0);
    expect(text).toContain('process_cpu_user_seconds_total');

    const saverText = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(sample(saverText, 'pipeline_results_written_total')).toBe(12);
    expect(sample(saverText, 'pipeline_duplicates_dropped_total')).toBe(0);
    expect(sample(saverText, 'pipeline_reorder_buffered')).toBe(0);
  });

  it('carries many tasks in one message on the internal hops, and times every task', async () => {
    const { rest: client } = await start();
    const { body: run } = await send<RunView>('POST', `${client.baseUrl}/runs`, {
      connection_count: 20,
      connection_value: 50,
      delay_range: 0,
      wait: 'saved',
    });
    expect(run.state).toBe('completed');
    const text = await (await fetch(`${client.baseUrl}/metrics`)).text();
    for (const [from, to] of [
      ['server', 'processor'],
      ['processor', 'saver'],
    ]) {
      const labels = `{from="${from}",to="${to}"}`;
      // Each task is timed on its own, whatever message carried it (a task sent again after a
      // timeout on a busy machine is timed again)…
      expect(sample(text, `pipeline_hop_seconds_count${labels}`)).toBeGreaterThanOrEqual(1000);
      // …and 20 connections with 64 tasks in flight each hand the server many tasks at a time.
      const messages = sample(text, `pipeline_hop_messages_total${labels}`);
      expect(messages).toBeGreaterThan(0);
      expect(messages).toBeLessThan(500);
    }
    expect(sample(text, 'pipeline_hop_messages_total{from="client",to="saver"}')).toBeGreaterThan(
      0,
    );
  });
});
