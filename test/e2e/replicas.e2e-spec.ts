import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBrokerUp } from '../support/brokers.js';
import { closeAll } from '../support/close-all.js';
import { freePort } from '../../harness/ports.js';
import { ModuleProcess, waitForHttp } from '../support/module-process.js';

/**
 * Several processes of one role on one machine, started as the README shows (one per terminal,
 * the same settings): each starts, or fails at once naming the setting to give.
 */
describe('several processes of one role on one machine', () => {
  let dir: string;
  const children: ModuleProcess[] = [];

  const start = (modules: string, env: Record<string, string>): ModuleProcess => {
    const child = ModuleProcess.start(modules, { OUTPUT_DIR: dir, LOG_LEVEL: 'log', ...env });
    children.push(child);
    return child;
  };

  /** The port of health and metrics that a process's start-up line names. */
  const opsUrl = (child: ModuleProcess): string =>
    /health and metrics (http:\/\/[\d.]+:\d+)/.exec(child.log)?.[1] ?? 'no ops port';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-replicas-'));
  });

  afterAll(async () => {
    await closeAll(
      ...children.map((child) => () => child.stop()),
      () => dir && rm(dir, { recursive: true, force: true }),
    );
  });

  it('a second processor on NATS with the same settings starts, its health and metrics on a free port', async () => {
    await assertBrokerUp('nats');
    // One ops port for both, as the default 5012 would be (not 5012 itself: the machine is shared).
    const env = { TRANSPORT: 'nats', PROCESSOR_OPS_PORT: String(await freePort()) };
    const first = start('processor', env);
    await first.waitForLog('listening:');
    const second = start('processor', env);
    await second.waitForLog('listening:');

    expect(opsUrl(first)).toBe(`http://127.0.0.1:${env.PROCESSOR_OPS_PORT}`);
    expect(opsUrl(second)).not.toBe(opsUrl(first));
    expect(second.log).toContain(`PROCESSOR_OPS_PORT ${env.PROCESSOR_OPS_PORT} is taken`);
    for (const child of [first, second]) await waitForHttp(`${opsUrl(child)}/health/live`);
  });

  it('a second saver fails at once, naming SAVER_OPS_PORT (one saver per system owns the files)', async () => {
    await assertBrokerUp('nats');
    const env = { TRANSPORT: 'nats', SAVER_OPS_PORT: String(await freePort()) };
    await start('saver', env).waitForLog('listening:');
    const second = start('saver', env);
    expect(await second.exitCode()).toBe(1);
    expect(second.log).toContain(
      `health and metrics cannot listen on 127.0.0.1:${env.SAVER_OPS_PORT} (SAVER_OPS_PORT)`,
    );
    expect(second.log).toContain('Give SAVER_OPS_PORT=0');
  });

  it('a second processor on TCP fails at once, naming PROCESSOR_PORT and the transports that share work', async () => {
    const env = { PROCESSOR_PORT: String(await freePort()), PROCESSOR_OPS_PORT: '0' };
    await start('processor', env).waitForLog('listening:');
    const second = start('processor', env);
    expect(await second.exitCode()).toBe(1);
    expect(second.log).toContain(
      `processor cannot listen on tcp://127.0.0.1:${env.PROCESSOR_PORT} (PROCESSOR_PORT)`,
    );
    expect(second.log).toContain('TRANSPORT=nats, rmq or mqtt');
  });
});
