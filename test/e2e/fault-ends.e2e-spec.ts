import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaverService } from '../../src/saver/saver.service.js';
import { freePort } from '../../harness/ports.js';
import { send, savedRun } from '../support/http.js';
import { builtSystemEnv, ModuleProcess, waitForHttp } from '../support/module-process.js';
import { expectOrderedFile } from '../support/ordered-file.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

/** Bounds small enough for a test: a peer that stays away ends the run within seconds. */
const QUICK_FAILURE = {
  REQUEST_TIMEOUT_MS: '1000',
  DELIVERY_TIMEOUT_MS: '3000',
  RETRY_BASE_MS: '20',
  RETRY_MAX_MS: '200',
};

/** Expects every line of the file to be whole and line N to hold seq N (a prefix of the run). */
async function expectWholeOrderedPrefix(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text === '') return 0;
  expect(text.endsWith('\n')).toBe(true);
  const seqs = text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as { seq: number }).seq);
  expect(seqs).toEqual(seqs.map((_, at) => at + 1));
  return seqs.length;
}

describe('faults end in bounded time with their real cause', () => {
  const systems: TestSystem[] = [];
  afterAll(async () => {
    await closeAll(...systems.reverse().map((system) => () => system.close()));
  });

  it('fails a run whose processor never comes, naming it, and runs the next once it is back', async () => {
    const processorPort = await freePort();
    const sut = await startTestSystem({
      MODULES: 'client,server,saver',
      PROCESSOR_PORT: String(processorPort),
      ...QUICK_FAILURE,
    });
    systems.push(sut);
    const body = await savedRun(sut.baseUrl, 4, 10);
    expect(body.state).toBe('failed');
    expect(body.error).toContain(`processor at 127.0.0.1:${processorPort}`);
    expect(body.error).toContain('ECONNREFUSED');

    const processor = await startTestSystem(
      {
        MODULES: 'processor',
        PROCESSOR_PORT: String(processorPort),
        SAVER_PORT: String(sut.settings.peers.saver.port),
      },
      sut.outputDir,
    );
    systems.push(processor);
    const next = await savedRun(sut.baseUrl, 4, 10);
    expect(next.state).toBe('completed');
    await expectOrderedFile(next.file, next);
  });

  it('fails a run whose OUTPUT_DIR cannot hold a file, naming the errno and the path', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'ordered-pipeline-notdir-'));
    const notADirectory = join(parent, 'a-file');
    await writeFile(notADirectory, 'not a directory');
    const sut = await startTestSystem(
      { OUTPUT_DIR: notADirectory, STATE_DIR: join(parent, 'state'), ...QUICK_FAILURE },
      notADirectory,
    );
    systems.push(sut);
    try {
      const body = await savedRun(sut.baseUrl, 2, 5);
      expect(body.state).toBe('failed');
      expect(body.error).toMatch(/EEXIST|ENOTDIR/);
      expect(body.error).toContain(notADirectory);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  const root = process.getuid?.() === 0;
  if (!root) {
    console.log('skipping the full-disk test: mounting a tmpfs needs root (CI runs as root)');
  }
  (root ? it : it.skip)(
    'fails a run whose disk is full with ENOSPC, keeps whole lines, and closes the file',
    async () => {
      const mountPoint = await mkdtemp(join(tmpdir(), 'ordered-pipeline-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
      try {
        // The saver's disk is full; the client's journal is elsewhere (durable-runs fills that one).
        const stateDir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-full-state-'));
        const sut = await startTestSystem(
          { OUTPUT_DIR: mountPoint, STATE_DIR: stateDir, ...QUICK_FAILURE },
          mountPoint,
        );
        try {
          const body = await savedRun(sut.baseUrl, 10, 200);
          expect(body.state).toBe('failed');
          expect(body.error).toContain('ENOSPC');
          expect(body.error).toContain(body.runId);
          const lines = await expectWholeOrderedPrefix(body.file);
          expect(lines).toBeLessThan(body.total);
          const saver = sut.system.get('saver', SaverService) as SaverService;
          expect(saver.openRuns).toBe(0);
        } finally {
          await sut.close();
          await rm(stateDir, { recursive: true, force: true });
        }
      } finally {
        execFileSync('umount', [mountPoint]);
        await rm(mountPoint, { recursive: true, force: true });
      }
    },
  );

  it('stops sending at once on SIGTERM, answers the open request with the truth, and exits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-sigterm-'));
    const env = {
      ...(await builtSystemEnv(dir)),
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '3000',
      // A small window: the run is still sending when the signal comes.
      RUN_WINDOW: '16',
    };
    const system = ModuleProcess.start('client,server,processor,saver', env);
    try {
      const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
      await waitForHttp(`${baseUrl}/health/live`);
      const answer = send<{ statusCode: number; message: string }>(
        'GET',
        `${baseUrl}/?connection_count=20&connection_value=500&delay_range=1&wait=saved`,
      );
      // Once tasks are leaving, stop the process.
      type Listing = { runs?: { runId: string; sent: number; total: number }[] };
      const sending = async (): Promise<Listing['runs']> => {
        const listing = await send<Listing>('GET', `${baseUrl}/runs`).catch(() => undefined);
        return listing?.body.runs?.filter((run) => run.sent > 0);
      };
      let started = await sending();
      for (let tries = 0; tries < 400 && !started?.length; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        started = await sending();
      }
      const [run] = started ?? [];
      expect(run.sent).toBeLessThan(run.total);
      system.signal('SIGTERM');
      // Not a success: 503 with Retry-After (the next start resumes the run), and the truth.
      const { status, headers, body } = await answer;
      expect(status).toBe(503);
      expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
      expect(body.message).toContain(`run ${run.runId}: the client stopped`);
      expect(body.message).toContain('it resumes when the client starts again');
      expect(await system.exitCode()).toBe(0);
      // What reached the file is whole lines, in order; the answer said what the saver had on
      // disk as it answered (the file only grows after that).
      const said = /(\d+) of \d+ line\(s\) were on disk then/.exec(body.message);
      expect(said).not.toBeNull();
      const lines = await expectWholeOrderedPrefix(join(dir, `${run.runId}.jsonl`));
      expect(lines).toBeLessThanOrEqual(run.total);
      expect(lines).toBeGreaterThanOrEqual(Number(said?.[1]));
    } finally {
      await system.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logs an unhandled rejection and ends the process with code 1, as Node would', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-rejection-'));
    // Loaded before main.ts: an unhandled rejection on demand, once the handlers are in place.
    const preload = join(dir, 'reject-on-signal.mjs');
    await writeFile(
      preload,
      "process.once('SIGUSR2', () => Promise.reject(new Error('rejected on purpose')));\n",
    );
    const system = ModuleProcess.start('client,server,processor,saver', {
      ...(await builtSystemEnv(dir)),
      NODE_OPTIONS: `--import=${preload}`,
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
    });
    try {
      await system.waitForLog('listening: ');
      system.signal('SIGUSR2');
      expect(await system.exitCode()).toBe(1);
      expect(system.log).toContain('unhandled rejection, exiting: Error: rejected on purpose');
    } finally {
      await system.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
