import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { InvalidSettingsError, loadSettings } from '../../src/common/settings/environment.js';
import {
  makeAuthority,
  makeIdentity,
  type Authority,
  type Identity,
} from '../support/certificates.js';
import { closeAll } from '../support/close-all.js';
import { builtSystemEnv, ModuleProcess, waitForHttp } from '../support/module-process.js';
import { savedRun } from '../support/http.js';
import { frameOf } from '../support/raw-peer.js';
import { expectOrderedFile, expectStillOrders } from '../support/ordered-file.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

/** A status query, framed as Nest's TCP transport frames it: what a peer would ask a saver. */
const FRAME = frameOf({
  pattern: 'saver.status',
  data: { runId: 'probe', total: 1 },
  id: 'probe-1',
});

/**
 * Connects with `connect`, sends `bytes` (a request frame) once connected, and answers what came
 * back and whether the listener closed the connection: a listener that takes the peer answers (and is left
 * at once), one that does not closes it without a word. The timer only ends a probe that neither
 * answered nor closed, which the tests then see as not closed.
 */
function probe(
  connect: () => Socket,
  ready: 'connect' | 'secureConnect',
  bytes = FRAME,
): Promise<{ answer: string; closedByListener: boolean }> {
  return new Promise((resolve) => {
    const socket = connect();
    let answer = '';
    let left = false;
    const leave = (): void => {
      left = true;
      socket.destroy();
    };
    socket.on(ready, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      leave();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, closedByListener: !left }));
    setTimeout(leave, 10_000).unref();
  });
}

const REFUSED = { answer: '', closedByListener: true };

describe('mutual TLS on every TCP link (TLS_CA, TLS_CERT, TLS_KEY)', () => {
  let dir: string;
  let authority: Authority;
  let node: Identity;
  let rogue: Identity;
  let sut: TestSystem;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-tls-'));
    authority = makeAuthority(dir, 'pipeline-ca');
    node = makeIdentity(dir, 'node', authority);
    rogue = makeIdentity(dir, 'rogue', makeAuthority(dir, 'other-ca'));
    sut = await startTestSystem({ TLS_CA: authority.ca, TLS_CERT: node.cert, TLS_KEY: node.key });
  });

  afterAll(async () => {
    await closeAll(
      () => sut?.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
  });

  const saverPort = (): number => sut.settings.peers.saver.port;

  it('runs exact with every hop over mutual TLS', async () => {
    await expectStillOrders(sut.baseUrl, {
      connection_count: 5,
      connection_value: 20,
      delay_range: 0.2,
    });
  });

  it('answers a peer with a certificate TLS_CA signed', async () => {
    const [ca, cert, key] = await Promise.all(
      [authority.ca, node.cert, node.key].map((file) => readFile(file, 'utf8')),
    );
    const { answer } = await probe(
      () => tlsConnect({ host: '127.0.0.1', port: saverPort(), ca, cert, key }),
      'secureConnect',
    );
    expect(answer).toContain('"id":"probe-1"');
  });

  it('keeps the frame limit under TLS: an authenticated peer announcing a frame too long is cut off', async () => {
    const [ca, cert, key] = await Promise.all(
      [authority.ca, node.cert, node.key].map((file) => readFile(file, 'utf8')),
    );
    const outcome = await probe(
      () => tlsConnect({ host: '127.0.0.1', port: saverPort(), ca, cert, key }),
      'secureConnect',
      '999999999#{',
    );
    expect(outcome).toEqual(REFUSED);
  });

  it('answers nothing to a peer without a certificate, with another CA’s, or without TLS, on each listener', async () => {
    const ca = await readFile(authority.ca, 'utf8');
    const [rogueCert, rogueKey] = await Promise.all(
      [rogue.cert, rogue.key].map((file) => readFile(file, 'utf8')),
    );
    const { peers } = sut.settings;
    for (const port of [peers.server.port, peers.processor.port, peers.saver.port]) {
      expect(
        await probe(() => tlsConnect({ host: '127.0.0.1', port, ca }), 'secureConnect'),
      ).toEqual(REFUSED);
      expect(
        await probe(
          () => tlsConnect({ host: '127.0.0.1', port, ca, cert: rogueCert, key: rogueKey }),
          'secureConnect',
        ),
      ).toEqual(REFUSED);
      expect(await probe(() => netConnect(port, '127.0.0.1'), 'connect')).toEqual(REFUSED);
    }
    // The listener is still there for its own peers.
    const body = await savedRun(sut.baseUrl, 2, 5);
    expect(body.state).toBe('completed');
  });

  it('refuses at start a partial, unreadable or mismatched set of files, naming the setting', () => {
    const problemsOf = (env: Record<string, string>): string => {
      try {
        loadSettings(env);
        return '';
      } catch (error) {
        if (!(error instanceof InvalidSettingsError)) throw error;
        return error.message;
      }
    };
    expect(problemsOf({ TLS_CA: authority.ca, TLS_CERT: node.cert })).toContain('TLS_KEY missing');
    expect(
      problemsOf({ TLS_CA: authority.ca, TLS_CERT: node.cert, TLS_KEY: join(dir, 'none.key') }),
    ).toContain('TLS_KEY: cannot read');
    expect(problemsOf({ TLS_CA: authority.ca, TLS_CERT: node.cert, TLS_KEY: rogue.key })).toContain(
      'is not the key of the certificate',
    );
    expect(problemsOf({ TLS_CA: node.key, TLS_CERT: node.cert, TLS_KEY: node.key })).toContain(
      'TLS_CA',
    );
  });

  it('runs exact as four processes, every link between them over mutual TLS', async () => {
    const env = {
      ...(await builtSystemEnv(dir)),
      TLS_CA: authority.ca,
      TLS_CERT: node.cert,
      TLS_KEY: node.key,
    };
    const processes = ['saver', 'processor', 'server', 'client'].map((module) =>
      ModuleProcess.start(module, env),
    );
    try {
      await Promise.all(processes.map((child) => child.waitForLog(`listening: ${child.name}`)));
      const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
      await waitForHttp(`${baseUrl}/health/live`);
      const body = await savedRun(baseUrl, 10, 30, 0.3);
      expect({ state: body.state, failed: body.failed }).toEqual({ state: 'completed', failed: 0 });
      await expectOrderedFile(body.file, body);
    } finally {
      await Promise.all(processes.map((child) => child.stop()));
    }
  });
});
