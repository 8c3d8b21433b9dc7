import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { freePort } from '../../harness/ports.js';
import type { RunView } from '../../src/common/contracts/http.js';
import { requestRun, settledRun, until } from '../support/http.js';
import { expectOrderedFile, expectStillOrders } from '../support/ordered-file.js';
import { aResult } from '../support/messages.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

/** Writes raw bytes to a listener and resolves when the listener closes the connection. */
function sendRaw(port: number, bytes: string): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('error', reject);
    socket.on('close', () => resolve('closed'));
    socket.setTimeout(10_000, () =>
      reject(new Error('the listener kept a broken connection open')),
    );
  });
}

describe('faults', () => {
  describe('the saver restarts in the middle of a run', () => {
    let dir: string;
    let saver: TestSystem;
    let rest: TestSystem;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-'));
    });

    afterAll(async () => {
      await closeAll(
        () => rest?.close(),
        () => saver?.close(),
        () => dir && rm(dir, { recursive: true, force: true }),
      );
    });

    it('still ends with an exact file: lost hand-offs are sent again and the file picks up where it was', async () => {
      const port = String(await freePort());
      const saverEnv = { MODULES: 'saver', SAVER_PORT: port };
      saver = await startTestSystem(saverEnv, dir);
      // No retries anywhere: a result whose hand-off meets the saver down is lost, and only the
      // client's repair can bring it back.
      rest = await startTestSystem(
        { MODULES: 'client,server,processor', SAVER_PORT: port, RETRY_ATTEMPTS: '0' },
        dir,
      );

      const { body } = await requestRun(rest.baseUrl, 20, 50, 1.5, 'none');
      const runUrl = `${rest.baseUrl}/runs/${body.runId}`;
      // The saver goes once the file has lines, and comes back once the client met it down.
      await until<RunView>(runUrl, ({ body: run }) => run.written > 0);
      await saver.close();
      await until<RunView>(runUrl, ({ body: run }) => run.lastError !== undefined);
      saver = await startTestSystem(saverEnv, dir);

      const view = await settledRun(rest.baseUrl, body.runId, 45_000);
      expect({ state: view.state, error: view.error }).toEqual({
        state: 'completed',
        error: undefined,
      });
      expect(view.resent).toBeGreaterThan(0);
      await expectOrderedFile(view.file, view);
    });
  });

  describe('stopping', () => {
    let sut: TestSystem | undefined;

    afterAll(() => sut?.close());

    it('stops promptly while a wait=saved request is open, and answers it', async () => {
      sut = await startTestSystem();
      const answer = requestRun(sut.baseUrl, 5, 20, 30, 'saved');
      // The run has begun: its request waits for the file.
      await until<{ total: number }>(`${sut.baseUrl}/runs`, ({ body }) => body.total === 1);
      // This close once never returned: the open request waited for a run nobody followed.
      const stopping = sut;
      sut = undefined;
      await stopping.close();
      // Answered 503 (not a success), saying why and what was on disk.
      const { status, body } = await answer;
      expect(status).toBe(503);
      expect((body as unknown as { message: string }).message).toContain('the client stopped');
    });
  });

  describe('bad input on the wire', () => {
    let sut: TestSystem;
    let probe: ClientProxy;

    beforeAll(async () => {
      sut = await startTestSystem();
      probe = ClientProxyFactory.create({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: sut.settings.peers.saver.port },
      });
    });

    afterEach(async () => {
      await expectStillOrders(sut.baseUrl);
    });

    afterAll(async () => {
      await closeAll(
        () => probe?.close(),
        () => sut?.close(),
      );
    });

    it.each(['server', 'processor', 'saver'] as const)(
      'the %s closes a connection that sends a broken frame',
      async (role) => {
        const port = sut.settings.peers[role].port;
        await expect(sendRaw(port, '17#{"pattern": nope}')).resolves.toBe('closed');
      },
    );

    it('the saver refuses a result whose run id could escape its folder, and writes nothing', async () => {
      const bad = aResult({ runId: '../../escape' });
      await expect(lastValueFrom(probe.send(Patterns.saverResult, bad))).rejects.toMatchObject({
        message: 'runId is invalid',
      });
      expect((await readdir(sut.outputDir)).some((name) => name.includes('escape'))).toBe(false);
    });

    it.each([
      [{ runId: 'r1', seq: 5, total: 3 }, 'seq'],
      [{ runId: 'r1', seq: 1, total: 0 }, 'total'],
      ['not an object', 'object'],
    ])('the saver refuses %j', async (partial, named) => {
      const message =
        typeof partial === 'string'
          ? partial
          : { conn: 1, idx: 1, value: 1, sentAt: 1, delayRange: 0, ...partial };
      await expect(lastValueFrom(probe.send(Patterns.saverResult, message))).rejects.toMatchObject({
        message: expect.stringContaining(named) as unknown,
      });
    });
  });
});
