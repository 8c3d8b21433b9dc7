import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/ports.js';
import { sample, untilSample } from '../support/metrics.js';
import { checkMetrics, ensurePromtool, familiesOf } from '../support/promtool.js';
import { send, until } from '../support/http.js';
import { aTask } from '../support/messages.js';
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
    // Each saver series carries the saver's index ("0": the one saver).
    expect(sample(saverText, 'pipeline_results_written_total{saver="0"}')).toBe(12);
    expect(sample(saverText, 'pipeline_duplicates_dropped_total{saver="0"}')).toBe(0);
    expect(sample(saverText, 'pipeline_reorder_buffered{saver="0"}')).toBe(0);
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

const LINKS = ['pipeline_hop_messages_total', 'pipeline_hop_seconds', 'pipeline_link_pending'];
const FAMILIES = {
  client: [
    'pipeline_client_unwritten_tasks',
    'pipeline_runs',
    'pipeline_runs_total',
    'pipeline_runs_refused_total',
    'pipeline_tasks_acked_total',
    'pipeline_tasks_failed_total',
    'pipeline_tasks_resent_total',
    'pipeline_tasks_sent_total',
    ...LINKS,
  ],
  server: ['pipeline_messages_refused_total', ...LINKS],
  processor: [
    'pipeline_messages_refused_total',
    'pipeline_processor_held_tasks',
    'pipeline_processor_refused_total',
    ...LINKS,
  ],
  saver: [
    'pipeline_messages_refused_total',
    'pipeline_duplicates_dropped_total',
    'pipeline_reorder_buffered',
    'pipeline_results_refused_total',
    'pipeline_results_written_total',
    'pipeline_saver_open_runs',
  ],
};

describe('metrics per role, as promtool and Prometheus read them', () => {
  let dir: string;
  const systems: TestSystem[] = [];
  /** The `/metrics` URL of each process: the monolith, and one module per process. */
  const urls: Record<'monolith' | keyof typeof FAMILIES, string> = {} as never;

  beforeAll(async () => {
    // Installs Debian's `prometheus` when absent (as root), or fails naming the command.
    ensurePromtool();
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-metrics-'));
    const start = async (env: Record<string, string>, ownFolder = false) => {
      const system = await startTestSystem(env, ownFolder ? undefined : dir);
      systems.push(system);
      return system;
    };
    const saver = await start({ MODULES: 'saver' });
    const saverPort = String(saver.settings.peers.saver.port);
    const processor = await start({ MODULES: 'processor', SAVER_PORT: saverPort });
    const server = await start({
      MODULES: 'server',
      PROCESSOR_PORT: String(processor.settings.peers.processor.port),
    });
    const client = await start({
      MODULES: 'client',
      SERVER_PORT: String(server.settings.peers.server.port),
      SAVER_PORT: saverPort,
    });
    // A folder of its own: one client per state folder.
    const monolith = await start({}, true);
    const ops = (port: number) => `http://127.0.0.1:${port}/metrics`;
    Object.assign(urls, {
      monolith: `${monolith.baseUrl}/metrics`,
      client: `${client.baseUrl}/metrics`,
      server: ops(server.settings.opsPorts.server),
      processor: ops(processor.settings.opsPorts.processor),
      saver: ops(saver.settings.opsPorts.saver),
    });
  }, 300_000);

  afterAll(async () => {
    await closeAll(...[...systems].reverse().map((system) => () => system.close()));
    await rm(dir, { recursive: true, force: true });
  });

  const scrape = async (url: string) => (await fetch(url)).text();

  it('exports on each process the pipeline metrics of its modules only, and promtool finds nothing to say', async () => {
    const expected = {
      ...FAMILIES,
      monolith: [...new Set(Object.values(FAMILIES).flat())].sort(),
    };
    for (const [process, url] of Object.entries(urls)) {
      const text = await scrape(url);
      expect({ process, families: familiesOf(text) }).toEqual({
        process,
        families: [...expected[process as keyof typeof expected]].sort(),
      });
      expect({ process, ...checkMetrics(text) }).toEqual({ process, status: 0, output: '' });
    }
  });

  it('counts the runs that ended, by state, beside the runs remembered', async () => {
    const client = urls.client.replace(/\/metrics$/, '');
    const { body: done } = await send<RunView>('POST', `${client}/runs`, {
      connection_count: 2,
      connection_value: 3,
      delay_range: 0,
      wait: 'saved',
    });
    expect(done.state).toBe('completed');
    const { body: long } = await send<RunView>('POST', `${client}/runs`, {
      connection_count: 1,
      connection_value: 50,
      delay_range: 2,
    });
    await send('DELETE', `${client}/runs/${long.runId}`);
    await untilSample(urls.client, 'pipeline_runs_total{state="cancelled"}', (n) => n === 1);
    const text = await scrape(urls.client);
    expect(sample(text, 'pipeline_runs_total{state="completed"}')).toBe(1);
    expect(sample(text, 'pipeline_runs_total{state="failed"}')).toBe(0);
    expect(sample(text, 'pipeline_runs_total{state="interrupted"}')).toBe(0);
    expect(sample(text, 'pipeline_runs{state="completed"}')).toBe(1);
    // The tasks the processor took for the cancelled run reach the saver, which refuses them.
    await untilSample(urls.processor, 'pipeline_processor_held_tasks', (n) => n === 0);
  });

  it('counts a task for a run never opened at the saver where its result is dropped', async () => {
    // A plain Nest client, as any peer may be: the server acknowledges the task, and its result
    // has nowhere to go.
    const dropped = 'pipeline_processor_refused_total{reason="result_refused_by_saver"}';
    // The cancelled run's results before it, refused as `run_ended`, count here too.
    const droppedBefore = sample(await scrape(urls.processor), dropped);
    const writtenBefore = sample(
      await scrape(urls.saver),
      'pipeline_results_written_total{saver="0"}',
    );
    const serverPort = systems[2]?.settings.peers.server.port ?? 0;
    const peer = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: serverPort },
    });
    try {
      const ack = await lastValueFrom(
        peer.send<unknown>('server.task', aTask({ runId: 'never-opened' })),
      );
      expect(ack).toBeTruthy();
    } finally {
      await peer.close();
    }
    await untilSample(
      urls.saver,
      'pipeline_results_refused_total{reason="run_not_open",saver="0"}',
      (n) => n === 1,
    );
    await untilSample(urls.processor, dropped, (n) => n === droppedBefore + 1);
    expect(sample(await scrape(urls.saver), 'pipeline_results_written_total{saver="0"}')).toBe(
      writtenBefore,
    );
  });
});
