import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { readFile } from 'node:fs/promises';
import { lastValueFrom, timeout } from 'rxjs';
import type { Result } from '../../src/common/contracts/messages.js';
import { MessageSignature } from '../../src/common/contracts/message-signature.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { loadSettings } from '../../src/common/settings/environment.js';
import { assertBrokerUp, givenBrokerUrls, resetBroker } from '../support/brokers.js';
import { closeAll } from '../support/close-all.js';
import { requestRun, settledRun } from '../support/http.js';
import { sample } from '../support/metrics.js';
import { expectOrderedFile, expectStillOrders } from '../support/ordered-file.js';
import { aResult, aTask } from '../support/messages.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

const KEY = 'the-signing-key-of-this-e2e-0123456789';
const OTHER = 'another-key-that-nobody-here-has-98765';

/** What a peer answers a message: its answer, or the error it was refused with. */
async function ask(client: ClientProxy, pattern: string, data: unknown): Promise<unknown> {
  try {
    return await lastValueFrom(client.send(pattern, data).pipe(timeout(5000)));
  } catch (error) {
    return { refused: error };
  }
}

describe('signed messages (MESSAGE_KEY)', () => {
  let sut: TestSystem;
  let saver: ClientProxy;

  beforeAll(async () => {
    sut = await startTestSystem({ MESSAGE_KEY: KEY });
    // A plain Nest client on the saver's port: what anyone who reaches it can send.
    saver = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: sut.settings.peers.saver.port },
    });
  });

  afterAll(async () => {
    await closeAll(
      async () => {
        await saver?.close();
      },
      () => sut?.close(),
    );
  });

  const refusedFor = async (reason: string): Promise<number> =>
    sample(
      await (await fetch(`${sut.baseUrl}/metrics`)).text(),
      `pipeline_messages_refused_total{reason="${reason}"}`,
    );

  it('runs exact with every hop signed', async () => {
    await expectStillOrders(sut.baseUrl, {
      connection_count: 5,
      connection_value: 20,
      delay_range: 0.2,
    });
  });

  it('keeps forged results out of a run file: unsigned or signed with another key, refused and counted', async () => {
    const { body: run } = await requestRun(sut.baseUrl, 2, 50, 1, 'none');
    const forged: Result = {
      runId: run.runId,
      seq: 1,
      total: run.total,
      conn: 1,
      idx: 1,
      value: 666,
      sentAt: Date.now(),
      delayRange: 1,
      processedAt: Date.now(),
      delayMs: 1,
      processor: 'forger:1',
    };
    const unsigned = await refusedFor('unsigned');
    const unknown = await refusedFor('unknown_key');
    const bad = await refusedFor('bad_signature');
    expect(await ask(saver, Patterns.saverResult, forged)).toEqual({
      refused: expect.objectContaining({ message: expect.stringContaining('not signed') }),
    });
    expect(await ask(saver, Patterns.saverResults, { items: [forged] })).toHaveProperty('refused');
    const other = MessageSignature.of(loadSettings({ MESSAGE_KEY: OTHER }));
    const signedOtherwise = other?.sign(Patterns.saverResult, forged);
    expect(await ask(saver, Patterns.saverResult, signedOtherwise)).toHaveProperty('refused');
    const otherSig = String((signedOtherwise as { sig?: unknown } | undefined)?.sig);
    const renamed = { ...signedOtherwise, sig: `zz:${otherSig.split(':')[1]}` };
    expect(await ask(saver, Patterns.saverResult, renamed)).toHaveProperty('refused');
    expect(await refusedFor('unsigned')).toBe(unsigned + 2);
    expect(await refusedFor('bad_signature')).toBe(bad + 1);
    expect(await refusedFor('unknown_key')).toBe(unknown + 1);

    const done: RunView = await settledRun(sut.baseUrl, run.runId);
    expect(done.state).toBe('completed');
    await expectOrderedFile(done.file, done);
    expect(await readFile(done.file, 'utf8')).not.toContain('forger');
  });

  it('refuses on each listener a message unsigned, tampered, signed with another key or an unknown one', async () => {
    const ours = MessageSignature.of(loadSettings({ MESSAGE_KEY: KEY }));
    const other = MessageSignature.of(loadSettings({ MESSAGE_KEY: OTHER }));
    const task = aTask();
    const result = aResult({ processor: 'forger:1' });
    const { peers } = sut.settings;
    const cases = [
      { port: peers.server.port, pattern: Patterns.serverTask, message: task },
      { port: peers.processor.port, pattern: Patterns.processorTasks, message: { items: [task] } },
      { port: peers.saver.port, pattern: Patterns.saverResults, message: { items: [result] } },
    ] as const;
    const before = await Promise.all(
      ['unsigned', 'bad_signature', 'unknown_key'].map((reason) => refusedFor(reason)),
    );
    for (const { port, pattern, message } of cases) {
      const client = ClientProxyFactory.create({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
      });
      try {
        const signed = ours?.sign(pattern, message) as Record<string, unknown>;
        // One field changed after signing: the value of the task, or of the batch's one item.
        const tampered =
          'items' in message
            ? { ...signed, items: [{ ...message.items[0], value: 2 }] }
            : { ...signed, value: 2 };
        const unknownKey = { ...signed, sig: `zz:${String(signed.sig).split(':')[1]}` };
        for (const forged of [message, tampered, other?.sign(pattern, message), unknownKey])
          expect({ pattern, answer: await ask(client, pattern, forged) }).toEqual({
            pattern,
            answer: { refused: expect.anything() },
          });
      } finally {
        await client.close();
      }
    }
    const after = await Promise.all(
      ['unsigned', 'bad_signature', 'unknown_key'].map((reason) => refusedFor(reason)),
    );
    // Per listener: one unsigned, two bad (tampered; another key under our id), one unknown key.
    expect(after.map((count, at) => count - (before[at] ?? 0))).toEqual([3, 6, 3]);
  });

  it('refuses a signed message replayed on another pattern (an open as a cancel)', async () => {
    const ours = MessageSignature.of(loadSettings({ MESSAGE_KEY: KEY }));
    const { body: run } = await requestRun(sut.baseUrl, 2, 50, 1, 'none');
    const open = ours?.sign(Patterns.saverOpen, { runId: run.runId, total: run.total });
    expect(await ask(saver, Patterns.saverCancel, open)).toHaveProperty('refused');
    const done = await settledRun(sut.baseUrl, run.runId);
    expect(done.state).toBe('completed');
    await expectOrderedFile(done.file, done);
  });
});

describe('MESSAGE_KEYS while a key is rotated', () => {
  let saverSide: TestSystem;
  let rest: TestSystem;
  const OLD = 'the-old-key-being-rotated-out-0123456';
  const NEW = 'the-new-key-being-rotated-in-6543210';

  beforeAll(async () => {
    // Mid-rotation: the saver signs with the new key already, the others still with the old one.
    saverSide = await startTestSystem({ MODULES: 'saver', MESSAGE_KEYS: `new:${NEW},old:${OLD}` });
    rest = await startTestSystem(
      {
        MODULES: 'client,server,processor',
        MESSAGE_KEYS: `old:${OLD},new:${NEW}`,
        SAVER_PORT: String(saverSide.settings.peers.saver.port),
      },
      saverSide.outputDir,
    );
  });

  afterAll(async () => {
    await closeAll(
      () => rest?.close(),
      () => saverSide?.close(),
    );
  });

  it('runs exact while the processes sign with different keys they all accept', async () => {
    await expectStillOrders(rest.baseUrl, {
      connection_count: 4,
      connection_value: 25,
      delay_range: 0.2,
    });
  });
});

describe.each(['nats', 'rmq', 'redis', 'mqtt'] as const)('signed messages over %s', (transport) => {
  let sut: TestSystem;

  beforeAll(async () => {
    await assertBrokerUp(transport);
    await resetBroker(transport);
    sut = await startTestSystem({ TRANSPORT: transport, MESSAGE_KEY: KEY, ...givenBrokerUrls() });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('runs exact with every message signed and checked', async () => {
    await expectStillOrders(sut.baseUrl, {
      connection_count: 4,
      connection_value: 25,
      delay_range: 0.2,
    });
    const metrics = await (await fetch(`${sut.baseUrl}/metrics`)).text();
    for (const reason of ['unsigned', 'bad_signature', 'unknown_key'])
      expect(sample(metrics, `pipeline_messages_refused_total{reason="${reason}"}`)).toBe(0);
  });
});
