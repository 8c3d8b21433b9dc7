import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView } from '../../src/common/contracts/http.js';
import { startRun, until } from '../support/http.js';
import { ModuleProcess, builtSystemEnv, waitForHttp } from '../support/module-process.js';
import { expectOrderedFile } from '../support/ordered-file.js';

describe('split over TCP (four processes from the built output)', () => {
  let dir: string;
  let env: Record<string, string>;
  const processes = new Map<string, ModuleProcess>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-split-'));
    env = {
      ...(await builtSystemEnv(dir)),
      LOG_LEVEL: 'warn',
      RETRY_BASE_MS: '50',
      RETRY_MAX_MS: '500',
      REPAIR_GRACE_MS: '500',
    };
  });

  afterAll(async () => {
    await Promise.all([...processes.values()].map((child) => child.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a run in send order though the modules start in the wrong order, client first', async () => {
    const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
    processes.set('client', ModuleProcess.start('client', env));
    // Not `GET /`: that starts a run.
    await waitForHttp(`${baseUrl}/health/live`);

    // The run starts while nothing behind the client is up: its sends retry with backoff.
    const answer = startRun(baseUrl, {
      connection_count: 8,
      connection_value: 25,
      delay_range: 0.5,
      wait: 'saved',
    });
    // The others start, in this order, once the client has met the server down.
    await until<{ runs: RunView[] }>(`${baseUrl}/runs`, ({ body }) =>
      body.runs.some((run) => run.lastError !== undefined),
    );
    for (const name of ['server', 'processor', 'saver'])
      processes.set(name, ModuleProcess.start(name, env));

    const { status, body } = await answer;
    const logs = [...processes.values()]
      .map((child) => `--- ${child.name}\n${child.log}`)
      .join('\n');
    const healthy = body.state === 'completed' && body.failed === 0;
    // On failure, show what the processes said.
    expect({ status, state: body.state, failed: body.failed, logs: healthy ? '' : logs }).toEqual({
      status: 200,
      state: 'completed',
      failed: 0,
      logs: '',
    });
    const results = await expectOrderedFile(body.file, body);
    // Each result names the process that did the work: the processor process, not the client's.
    const processorPid = processes.get('processor')?.pid;
    expect(new Set(results.map((result) => result.processor.split(':').pop()))).toEqual(
      new Set([String(processorPid)]),
    );
  });

  it('stops every process cleanly on SIGTERM', async () => {
    for (const name of ['client', 'server', 'processor', 'saver']) {
      expect({ name, code: await processes.get(name)?.stop() }).toEqual({ name, code: 0 });
    }
  });
});
