import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportName } from '../../src/common/settings/settings.js';
import { assertBrokerUp, resetBroker } from '../support/brokers.js';
import { freePort } from '../../harness/ports.js';
import { requestRun, savedRun, settledRun } from '../support/http.js';
import { untilSample } from '../support/metrics.js';
import { ModuleProcess, builtSystemEnv, waitForHttp } from '../support/module-process.js';
import { expectOrderedFile } from '../support/ordered-file.js';
import { startTestSystem } from '../support/test-system.js';

interface TransportCase {
  readonly transport: TransportName;
  /** Processor processes in the split run (more than one where the transport shares work; 0: no split run). */
  readonly processors: number;
}

// The brokers are real (NATS, RabbitMQ, Redis, Mosquitto on their usual local ports); .ci/run
// installs and starts them. TCP is here too, so every transport passes the very same scenarios.
const CASES: readonly TransportCase[] = [
  { transport: 'tcp', processors: 1 },
  { transport: 'nats', processors: 3 },
  { transport: 'rmq', processors: 3 },
  { transport: 'redis', processors: 1 },
  { transport: 'mqtt', processors: 3 },
  // In-process: the monolith only (there is nothing to split over).
  { transport: 'local', processors: 0 },
];

const BAD_BROKER_URLS = {
  NATS_URL: 'nats://127.0.0.1:1',
  RMQ_URL: 'amqp://guest:guest@127.0.0.1:1',
  REDIS_URL: 'redis://127.0.0.1:1',
  MQTT_URL: 'mqtt://127.0.0.1:1',
};

/** How an error names the broker of each transport (`describePeer`). */
const BROKER_NAMES: Record<string, string> = {
  nats: 'NATS',
  rmq: 'RabbitMQ',
  redis: 'Redis',
  mqtt: 'MQTT',
};

describe.each(CASES)('$transport transport', ({ transport, processors }) => {
  let dir: string;
  let env: Record<string, string>;
  let children: ModuleProcess[] = [];

  const spawn = (modules: string): ModuleProcess => {
    const child = ModuleProcess.start(modules, env);
    children.push(child);
    return child;
  };

  /** A split system's settings over this transport. */
  const splitEnv = async (): Promise<Record<string, string>> => ({
    ...(await builtSystemEnv(dir)),
    TRANSPORT: transport,
    LOG_LEVEL: 'log',
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `ordered-pipeline-${transport}-`));
    await assertBrokerUp(transport);
    await resetBroker(transport);
  });

  afterEach(async () => {
    await Promise.all(children.map((child) => child.stop()));
    children = [];
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('monolith: writes a run in send order', async () => {
    const sut = await startTestSystem({ TRANSPORT: transport }, dir);
    try {
      const body = await savedRun(sut.baseUrl, 20, 30, 0.3);
      expect({ state: body.state, failed: body.failed }).toEqual({ state: 'completed', failed: 0 });
      await expectOrderedFile(body.file, body);
    } finally {
      await sut.close();
    }
  });

  // There is no split run on the in-process transport: it has one process by definition.
  if (processors > 0)
    it(`split: four kinds of process, ${processors} processor(s), and the file is still exact`, async () => {
      env = {
        ...(await splitEnv()),
        RETRY_BASE_MS: '50',
        RETRY_MAX_MS: '500',
        REPAIR_GRACE_MS: '500',
      };
      const started = [
        spawn('saver'),
        ...Array.from({ length: processors }, () => spawn('processor')),
        spawn('server'),
        spawn('client'),
      ];
      // Every replica subscribed before the run, so that each can take a share.
      await Promise.all(started.map((child) => child.waitForLog(`listening: ${child.name}`)));
      const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
      // Not `GET /`: that starts a run.
      await waitForHttp(`${baseUrl}/health/live`);

      const body = await savedRun(baseUrl, 10, 60, 0.5);
      expect({ state: body.state, failed: body.failed }).toEqual({ state: 'completed', failed: 0 });
      const results = await expectOrderedFile(body.file, body);

      const workers = new Set(results.map((result) => Number(result.processor.split(':').pop())));
      const processorPids = new Set(
        started.filter((child) => child.name === 'processor').map((child) => child.pid),
      );
      expect([...workers].every((pid) => processorPids.has(pid))).toBe(true);
      if (processors > 1) expect(workers.size).toBeGreaterThan(1);

      if (transport === 'redis') {
        // Pub/sub would hand every task to every processor: a second one must refuse to start.
        const second = spawn('processor');
        expect(await second.exitCode()).toBe(1);
        expect(second.log).toContain('cannot share work');
      }
    });

  if (transport === 'rmq')
    it('split: a processor killed while it holds batches leaves every task of them to another', async () => {
      const opsPorts = [await freePort(), await freePort()];
      env = {
        ...(await splitEnv()),
        // No repair within the test: only the broker's redelivery can complete the file.
        REPAIR_GRACE_MS: '600000',
      };
      const processors = opsPorts.map((port) => {
        const child = ModuleProcess.start('processor', {
          ...env,
          PROCESSOR_OPS_PORT: String(port),
        });
        children.push(child);
        return child;
      });
      const started = [spawn('saver'), ...processors, spawn('server'), spawn('client')];
      await Promise.all(started.map((child) => child.waitForLog(`listening: ${child.name}`)));
      const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
      await waitForHttp(`${baseUrl}/health/live`);

      const { body: run } = await requestRun(baseUrl, 4, 100, 2, 'none');
      // The victim holds tasks it took from batches: acknowledged to the server, not yet with the saver.
      await untilSample(
        `http://127.0.0.1:${opsPorts[0]}/metrics`,
        'pipeline_processor_held_tasks',
        (held) => held > 0,
      );
      processors[0].signal('SIGKILL');

      const ended = await settledRun(baseUrl, run.runId, 60_000);
      expect({
        state: ended.state,
        resent: ended.resent,
        repairRounds: ended.repairRounds,
      }).toEqual({
        state: 'completed',
        resent: 0,
        repairRounds: 0,
      });
      const results = await expectOrderedFile(ended.file, ended);
      expect(results.some((result) => result.processor.endsWith(`:${processors[1].pid}`))).toBe(
        true,
      );
    });

  if (transport !== 'tcp' && transport !== 'local') {
    it('reports a broker that cannot be reached in the run, without crashing or hanging', async () => {
      const sut = await startTestSystem({
        TRANSPORT: transport,
        MODULES: 'client',
        ...BAD_BROKER_URLS,
        RETRY_ATTEMPTS: '2',
        REQUEST_TIMEOUT_MS: '1000',
        DELIVERY_TIMEOUT_MS: '1500',
        REPAIR_GRACE_MS: '100',
        REPAIR_ROUNDS: '1',
        LOG_LEVEL: 'error',
      });
      try {
        const { status, body } = await requestRun(sut.baseUrl, 2, 3, 0, 'saved');
        expect(status).toBe(200);
        // Nothing is sent before the saver has opened the run's file: the run fails, naming the
        // peer and the broker it could not reach, once DELIVERY_TIMEOUT_MS has passed.
        expect(body).toMatchObject({ state: 'failed', sent: 0, acked: 0, written: 0 });
        expect(body.error).toContain(`saver via ${BROKER_NAMES[transport]} at`);
      } finally {
        await sut.close();
      }
    });
  }
});
