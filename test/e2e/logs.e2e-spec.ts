import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../harness/ports.js';
import { send } from '../support/http.js';

interface LogLine {
  level: number;
  msg: string;
  context?: string;
}

/** The built app, its output redirected to a file, as an operator would run it. */
class LoggedProcess {
  private readonly exited: Promise<number | null>;

  constructor(
    readonly file: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) => child.once('exit', done));
  }

  static start(file: string, env: Record<string, string>): LoggedProcess {
    const out = openSync(file, 'w');
    const child = spawn(process.execPath, [resolve('dist/main.js')], {
      env: { ...process.env, LOG_LEVEL: 'log', LOG_FORMAT: '', ...env },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    return new LoggedProcess(file, child);
  }

  async text(): Promise<string> {
    return readFile(this.file, 'utf8').catch(() => '');
  }

  async lines(): Promise<LogLine[]> {
    return (await this.text())
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Waits until a line says `text`; fails if the process ends first or the time is up. */
  async waitFor(text: string, withinMs = 20_000): Promise<LogLine> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const line = (await this.lines()).find((one) => one.msg.includes(text));
      if (line) return line;
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no line with "${text}" in:\n${await this.text()}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

describe('logs of the built app, written to a file', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-logs-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are JSON lines: first what listens where, then a run from start to end, no ANSI codes', async () => {
    const port = await freePort();
    const sut = LoggedProcess.start(join(dir, 'monolith.log'), {
      OUTPUT_DIR: join(dir, 'data'),
      CLIENT_PORT: String(port),
      SERVER_PORT: String(await freePort()),
      PROCESSOR_PORT: String(await freePort()),
      SAVER_PORT: String(await freePort()),
    });
    try {
      await sut.waitFor('listening:');
      const { body: run } = await send<RunView>('POST', `http://127.0.0.1:${port}/runs`, {
        connection_count: 2,
        connection_value: 3,
        delay_range: 0,
        wait: 'saved',
      });
      // The docs UI is there in the built app (Jest cannot load it in-process).
      const docs = await fetch(`http://127.0.0.1:${port}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
      await sut.waitFor(`run ${run.runId} completed in`);
      expect(await sut.stop()).toBe(0);

      const text = await sut.text();
      expect(text).not.toContain('\u001b[');
      const lines = await sut.lines();
      expect(lines[0].msg).toContain(`listening: client http://127.0.0.1:${port}`);
      expect(lines[0].msg).toContain('/docs');
      expect(lines.some((line) => line.context === 'InstanceLoader')).toBe(false);
      const started = lines.find((line) => line.msg.includes(`run ${run.runId} started`));
      expect(started?.msg).toContain('2×3 = 6 tasks');
      const ended = lines.find((line) => line.msg.includes(`run ${run.runId} completed in`));
      expect(ended?.msg).toMatch(/6 lines of 6 written \(\d+ tasks\/s\)/);
      expect(ended?.msg).toContain(run.file);
      // One line per request, none for the probes.
      expect(lines.map((line) => line.msg)).toContainEqual(
        expect.stringMatching(/^POST \/runs 201 \(\d+ ms\)$/),
      );
    } finally {
      await sut.stop();
    }
  });

  it('name the ops port a process without the client took when given 0', async () => {
    const sut = LoggedProcess.start(join(dir, 'saver.log'), {
      MODULES: 'saver',
      OUTPUT_DIR: join(dir, 'data'),
      SAVER_PORT: String(await freePort()),
      SAVER_OPS_PORT: '0',
    });
    try {
      const line = await sut.waitFor('listening:');
      const match = /health and metrics http:\/\/127\.0\.0\.1:(\d+)/.exec(line.msg);
      expect(match).not.toBeNull();
      const ready = await fetch(`http://127.0.0.1:${match?.[1]}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await sut.stop();
    }
  });
});
