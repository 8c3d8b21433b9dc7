import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBrokerUp } from '../support/brokers.js';
import { send, until, type HttpAnswer } from '../support/http.js';
import { builtSystemEnv, ModuleProcess, waitForHttp } from '../support/module-process.js';
import { expectOrderedFile } from '../support/ordered-file.js';

/** The run the issue of durable runs names: 200 connections × 500 tasks, delays up to 2 s. */
const RUN = { connection_count: 200, connection_value: 500, delay_range: 2, wait: 'none' };
const KILLS = 20;
/** A run this long is far past any bound a healthy system needs; it only stops a broken test. */
const LONG_MS = 180_000;

type Env = Record<string, string>;

/** Where the run stood when the client was killed. */
interface KillMoment {
  readonly kind: 'while sending' | 'while saving' | 'while resuming';
  readonly sent: number;
  readonly written: number;
}

async function systemEnv(dir: string, extra: Env = {}): Promise<Env> {
  return {
    ...(await builtSystemEnv(dir)),
    LOG_LEVEL: 'warn',
    REPAIR_GRACE_MS: '300',
    RETRY_BASE_MS: '20',
    RETRY_MAX_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...extra,
  };
}

const view = (baseUrl: string, runId: string): Promise<HttpAnswer<RunView>> =>
  send<RunView>('GET', `${baseUrl}/runs/${runId}`);

/**
 * A client (alone, or the whole monolith) that can be killed and started again on the same
 * folders and ports, as a supervisor would.
 */
class Restartable {
  private process: ModuleProcess;
  readonly baseUrl: string;
  readonly logs: string[] = [];

  constructor(
    private readonly modules: string,
    private readonly env: Env,
  ) {
    this.baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
    this.process = ModuleProcess.start(modules, env);
  }

  async ready(): Promise<void> {
    await waitForHttp(`${this.baseUrl}/health/live`);
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    this.process.signal(signal);
    const code = await this.process.exitCode();
    this.logs.push(this.process.log);
    return code;
  }

  /** Starts it again on the same folders and ports, with `changes` to its settings if given. */
  async restart(changes: Env = {}): Promise<void> {
    this.process = ModuleProcess.start(this.modules, { ...this.env, ...changes });
    await this.ready();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}

/**
 * Kills the client (`kill -9`) `kills` times during one run, starting it again each time, then
 * expects the run to complete with an exact file: every third kill as soon as the new life answers
 * (while it resumes the run: a repair), the last one once every task is sent and acknowledged
 * (while its file fills), the others once the run has sent past the next of evenly spaced marks.
 * Answers the moments of the kills.
 */
async function killAndResume(
  client: Restartable,
  run: typeof RUN = RUN,
  kills = KILLS,
): Promise<KillMoment[]> {
  const total = run.connection_count * run.connection_value;
  const started = await send<RunView>('POST', `${client.baseUrl}/runs`, run);
  expect(started.status).toBe(202);
  const { runId } = started.body;
  const resuming = (kill: number) => kill % 3 === 2 && kill < kills - 1;
  const marks = Array.from({ length: kills }, (_, kill) => kill).filter(
    (kill) => !resuming(kill) && kill < kills - 1,
  ).length;
  const url = `${client.baseUrl}/runs/${runId}`;
  const moments: KillMoment[] = [];
  let mark = 0;
  for (let kill = 0; kill < kills; kill++) {
    let kind: KillMoment['kind'];
    let answer: HttpAnswer<RunView>;
    if (resuming(kill)) {
      kind = 'while resuming';
      answer = await view(client.baseUrl, runId);
    } else if (kill === kills - 1) {
      // Every task sent, the file not complete yet: its last results are in their delays.
      kind = 'while saving';
      answer = await until<RunView>(
        url,
        ({ body }) => body.sent === total || body.state === 'completed',
        LONG_MS,
      );
      expect(answer.body.state).not.toBe('completed');
    } else {
      kind = 'while sending';
      const threshold = Math.floor((++mark * total) / (marks + 1));
      answer = await until<RunView>(url, ({ body }) => body.sent >= threshold, LONG_MS);
      expect(answer.body.state).toBe('sending');
    }
    await client.kill('SIGKILL');
    moments.push({ kind, sent: answer.body.sent, written: answer.body.written });
    await client.restart();
  }
  const done = await until<RunView>(
    url,
    ({ body }) => body.state !== 'sending' && body.state !== 'saving' && body.state !== 'queued',
    LONG_MS,
  );
  expect(done.body).toMatchObject({ state: 'completed', total, restarts: kills });
  await expectOrderedFile(done.body.file, done.body);
  return moments;
}

describe('durable runs: a client that restarts loses no run and no history', () => {
  const dirs: string[] = [];
  const running: Restartable[] = [];
  const others: ModuleProcess[] = [];
  const folder = async (name: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), `ordered-pipeline-${name}-`));
    dirs.push(dir);
    return dir;
  };
  /** Saver, processor and server as processes of their own, then the client that will be killed. */
  const splitSystem = async (env: Env): Promise<Restartable> => {
    for (const module of ['saver', 'processor', 'server']) {
      const process = ModuleProcess.start(module, { ...env, LOG_LEVEL: 'log' });
      others.push(process);
      await process.waitForLog('listening: ');
    }
    const client = new Restartable('client', env);
    running.push(client);
    await client.ready();
    return client;
  };
  // Each test's processes stop when it ends, whatever happened: the next test has the machine.
  afterEach(async () => {
    for (const client of running.splice(0)) await client.stop();
    for (const process of others.splice(0)) await process.stop();
  });
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    'monolith: kill -9 at 20 moments of a 200×500 run, each life resumes it, the file is exact',
    async () => {
      const client = new Restartable(
        'client,server,processor,saver',
        await systemEnv(await folder('kill-mono')),
      );
      running.push(client);
      await client.ready();
      const moments = await killAndResume(client);
      console.log(`monolith kills: ${JSON.stringify(moments)}`);
    },
    10 * LONG_MS,
  );

  it(
    'split: kill -9 of the client process at 20 moments, the run completes exact',
    async () => {
      const client = await splitSystem(await systemEnv(await folder('kill-split')));
      const moments = await killAndResume(client);
      console.log(`split kills: ${JSON.stringify(moments)}`);
    },
    10 * LONG_MS,
  );

  it(
    'split over NATS: kill -9 of the client process, the run completes exact',
    async () => {
      await assertBrokerUp('nats');
      const client = await splitSystem(
        await systemEnv(await folder('kill-nats'), { TRANSPORT: 'nats' }),
      );
      const small = { ...RUN, connection_count: 40, connection_value: 250 };
      console.log(`nats kills: ${JSON.stringify(await killAndResume(client, small, 5))}`);
    },
    LONG_MS,
  );

  it(
    'SIGTERM then start: the run resumes, and runs of earlier lives are listed, viewed and reported',
    async () => {
      const dir = await folder('sigterm');
      const client = new Restartable('client,server,processor,saver', await systemEnv(dir));
      running.push(client);
      await client.ready();
      const first = await send<RunView>('POST', `${client.baseUrl}/runs`, {
        ...RUN,
        connection_count: 20,
      });
      const { runId } = first.body;
      await until<RunView>(`${client.baseUrl}/runs/${runId}`, ({ body }) => body.sent > 0, LONG_MS);
      expect(await client.kill('SIGTERM')).toBe(0);
      await client.restart();
      const done = await until<RunView>(
        `${client.baseUrl}/runs/${runId}`,
        ({ body }) => body.state === 'completed' || body.state === 'failed',
        LONG_MS,
      );
      expect(done.body).toMatchObject({ state: 'completed', restarts: 1 });
      expect(done.body.resumedAt).toBeGreaterThan(0);
      await expectOrderedFile(done.body.file, done.body);

      // One more life: the run is history now, and answers as it did.
      expect(await client.kill('SIGTERM')).toBe(0);
      await client.restart();
      const listed = await send<{ runs: RunView[] }>('GET', `${client.baseUrl}/runs`);
      expect(listed.body.runs.map((run) => run.runId)).toContain(runId);
      expect((await view(client.baseUrl, runId)).body).toEqual(done.body);
      const report = await send<{
        saver: { known: boolean; received: number };
        progress: { t: number[] };
      }>('GET', `${client.baseUrl}/runs/${runId}/report.json`);
      expect(report.status).toBe(200);
      expect(report.body.saver.known).toBe(true);
      expect(report.body.saver.received).toBeGreaterThan(0);
      expect(report.body.progress.t.length).toBeGreaterThan(0);
      const events = await fetch(`${client.baseUrl}/runs/${runId}/events`);
      expect(await events.text()).toContain('event: end');
    },
    LONG_MS,
  );

  it(
    'queued runs stay queued in their order across a stop; RESUME_RUNS=off ends unfinished runs interrupted',
    async () => {
      const client = new Restartable(
        'client,server,processor,saver',
        await systemEnv(await folder('queue'), { MAX_ACTIVE_RUNS: '1' }),
      );
      running.push(client);
      await client.ready();
      const start = async (shape: object): Promise<string> =>
        (await send<RunView>('POST', `${client.baseUrl}/runs`, { ...shape, wait: 'none' })).body
          .runId;
      const first = await start({ connection_count: 20, connection_value: 500, delay_range: 2 });
      const second = await start({ connection_count: 5, connection_value: 10, delay_range: 0 });
      const third = await start({ connection_count: 5, connection_value: 10, delay_range: 0 });
      await until<RunView>(`${client.baseUrl}/runs/${first}`, ({ body }) => body.sent > 0, LONG_MS);
      expect((await view(client.baseUrl, third)).body.state).toBe('queued');
      expect(await client.kill('SIGTERM')).toBe(0);
      await client.restart();
      // One at a time, in the order they came: the third never starts before the second has ended.
      // Asked last run first: a run seen started means the one before had ended by then.
      const states = async (): Promise<RunView[]> => {
        const seen: RunView[] = [];
        for (const id of [third, second, first])
          seen.unshift((await view(client.baseUrl, id)).body);
        return seen;
      };
      let now = await states();
      while (now[2].state !== 'completed') {
        if (now[2].state !== 'queued') expect(now[1].state).toBe('completed');
        if (now[1].state !== 'queued') expect(now[0].state).toBe('completed');
        await new Promise((resolve) => setTimeout(resolve, 20));
        now = await states();
      }
      for (const run of now) {
        expect(run).toMatchObject({ state: 'completed', restarts: 1 });
        await expectOrderedFile(run.file, run);
      }

      // RESUME_RUNS=off: an unfinished run ends interrupted, says why, and stays in the history.
      const fourth = await start({ connection_count: 20, connection_value: 500, delay_range: 2 });
      await until<RunView>(
        `${client.baseUrl}/runs/${fourth}`,
        ({ body }) => body.sent > 0,
        LONG_MS,
      );
      await client.kill('SIGKILL');
      await client.restart({ RESUME_RUNS: 'off' });
      const left = (await view(client.baseUrl, fourth)).body;
      expect(left).toMatchObject({ state: 'interrupted', restarts: 1 });
      expect(left.error).toContain('RESUME_RUNS=off');
      await client.kill('SIGTERM');
      await client.restart();
      expect((await view(client.baseUrl, fourth)).body.state).toBe('interrupted');
    },
    LONG_MS,
  );

  it(
    'a second client on the same STATE_DIR refuses to start; a torn journal is read up to the tear',
    async () => {
      const dir = await folder('lock');
      const env = await systemEnv(dir);
      const client = new Restartable('client,server,processor,saver', env);
      running.push(client);
      await client.ready();
      const run = await send<RunView>('POST', `${client.baseUrl}/runs`, {
        connection_count: 5,
        connection_value: 20,
        delay_range: 0,
        wait: 'saved',
      });
      expect(run.body.state).toBe('completed');

      const second = ModuleProcess.start('client', { ...env, CLIENT_PORT: '0' });
      others.push(second);
      expect(await second.exitCode()).toBe(1);
      expect(second.log).toContain(`STATE_DIR ${join(dir, 'state')} is in use by another client`);

      // Cut the journal in its last record, then add garbage: the client starts and keeps the rest.
      expect(await client.kill('SIGKILL')).not.toBe(0);
      const journal = join(dir, 'state', 'journal');
      await truncate(journal, (await stat(journal)).size - 3);
      await appendFile(journal, Buffer.from('not a frame at all'));
      await client.restart();
      const listed = await send<{ runs: RunView[] }>('GET', `${client.baseUrl}/runs`);
      expect(listed.status).toBe(200);
      // The run's end was the torn record: it is known again, unfinished, and a resume completes it.
      const again = await until<RunView>(
        `${client.baseUrl}/runs/${run.body.runId}`,
        ({ body }) => body.state === 'completed',
        LONG_MS,
      );
      expect(again.body.total).toBe(100);
      await client.kill('SIGTERM');
      expect(client.logs.join('')).toContain('of a torn or corrupt tail');
      await client.restart();
      expect((await view(client.baseUrl, run.body.runId)).body.state).toBe('completed');

      // A journal of a format this version does not know is put aside; the client starts anew.
      await client.kill('SIGKILL');
      const text = await readFile(journal);
      text.writeUInt32LE(99, 4);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(journal, text);
      await client.restart();
      expect((await view(client.baseUrl, run.body.runId)).status).toBe(404);
    },
    LONG_MS,
  );

  const root = process.getuid?.() === 0;
  if (!root)
    console.log(
      'skipping the full-disk journal test: mounting a tmpfs needs root (CI runs as root)',
    );
  (root ? it : it.skip)(
    'a full disk under the journal fails the run with ENOSPC named; the client goes on',
    async () => {
      const dir = await folder('journal-full');
      const stateDir = join(dir, 'state-on-tmpfs');
      execFileSync('mkdir', ['-p', stateDir]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', stateDir]);
      try {
        const client = new Restartable(
          'client,server,processor,saver',
          await systemEnv(dir, { STATE_DIR: stateDir }),
        );
        running.push(client);
        await client.ready();
        const run = await send<RunView>('POST', `${client.baseUrl}/runs`, {
          connection_count: 10,
          connection_value: 2000,
          delay_range: 0,
          wait: 'saved',
        });
        expect(run.body.state).toBe('failed');
        expect(run.body.error).toContain('ENOSPC');
        expect((await send('GET', `${client.baseUrl}/health/live`)).status).toBe(200);
        expect((await view(client.baseUrl, run.body.runId)).body.state).toBe('failed');
      } finally {
        // Stopped before the unmount, whatever failed: it holds files there.
        for (const client of running.splice(0)) await client.stop();
        execFileSync('umount', [stateDir]);
      }
    },
    LONG_MS,
  );
});
