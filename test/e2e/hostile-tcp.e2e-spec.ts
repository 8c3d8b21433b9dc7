import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  RpcException,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { readdir } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { lastValueFrom } from 'rxjs';
import type { Result, Task } from '../../src/common/contracts/messages.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { aResult, aTask } from '../support/messages.js';
import { expectStillOrders } from '../support/ordered-file.js';
import { frameOf, RawPeer } from '../support/raw-peer.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

const FRAME_LIMIT = 64 * 1024;
const IDLE_TIMEOUT_MS = 300;

// Every log line of this file's systems is kept, not printed: the flood test counts them.
const logs = new CapturedLogs();
Logger.overrideLogger(logs);

const task = (overrides: Partial<Task> = {}): Task => aTask({ runId: 'hostile', ...overrides });
const result = (overrides: Partial<Result> = {}): Result =>
  aResult({ runId: 'hostile', processor: 'test:1', ...overrides });

/** A string `data` that makes the request frame's JSON text exactly `length` characters long. */
function dataFilling(length: number, pattern: string, id: string): string {
  const empty = JSON.stringify({ pattern, data: '', id }).length;
  return 'x'.repeat(length - empty);
}

describe('hostile input at the TCP edge', () => {
  const opened: RawPeer[] = [];
  const peer = async (port: number): Promise<RawPeer> => {
    const raw = await RawPeer.connect(port);
    opened.push(raw);
    return raw;
  };

  afterEach(() => {
    for (const raw of opened.splice(0)) raw.destroy();
  });

  describe('a whole system', () => {
    let sut: TestSystem;

    beforeAll(async () => {
      sut = await startTestSystem({ TCP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
    });

    afterEach(async () => {
      await expectStillOrders(sut.baseUrl);
    });

    afterAll(async () => {
      await sut?.close();
    });

    it.each(['server', 'processor', 'saver'] as const)(
      'the %s closes a connection that sends a frame over the limit, and only that one',
      async (role) => {
        const port = sut.settings.peers[role].port;
        const bystander = await peer(port);
        const hostile = await peer(port);
        // At the limit: read, and answered (a string is no result: refused, or no such handler).
        const pattern = Patterns.saverResult;
        const atLimit = await hostile.request(pattern, dataFilling(FRAME_LIMIT, pattern, 'a'), 'a');
        expect(atLimit.err).toBeDefined();
        // One character over: the connection is closed on the header.
        void hostile
          .request(pattern, dataFilling(FRAME_LIMIT + 1, pattern, 'b'), 'b')
          .catch(() => {});
        await hostile.closed;
        const reply = await bystander.request(Patterns.saverStatus, { runId: 'x', total: 0 });
        expect(reply.err).toBeDefined();
        expect(bystander.open).toBe(true);
      },
    );

    it('closes a connection announcing a huge length on the header alone, before any body', async () => {
      const hostile = await peer(sut.settings.peers.saver.port);
      hostile.write('1000000000#');
      await hostile.closed;
      expect(hostile.socket.bytesWritten).toBe('1000000000#'.length);
    });

    it('closes a connection that sends 10 MB without a "#"', async () => {
      const hostile = await peer(sut.settings.peers.server.port);
      hostile.write(Buffer.alloc(10 * 1024 * 1024, '7'));
      await hostile.closed;
    });

    it('drops a peer idle in mid-frame after the idle timeout, not one idle between whole frames', async () => {
      const port = sut.settings.peers.saver.port;
      const idle = await peer(port);
      await idle.request(Patterns.saverStatus, { runId: 'idle', total: 1 });
      const stalled = await peer(port);
      stalled.write(frameOf({ pattern: Patterns.saverStatus, data: {} }).slice(0, 20));
      await stalled.closed;
      // The idle connection has waited longer than the stalled one, and still works.
      expect(idle.open).toBe(true);
      const reply = await idle.request(Patterns.saverStatus, { runId: 'idle', total: 1 });
      expect(reply.response).toMatchObject({ runId: 'idle' });
    });
  });

  describe('a listener at its connection cap', () => {
    let sut: TestSystem;

    beforeAll(async () => {
      // The server alone: nothing but this test opens connections to its listener.
      sut = await startTestSystem({ MODULES: 'server', TCP_MAX_CONNECTIONS: '4' });
    });

    afterAll(async () => {
      await sut?.close();
    });

    it('closes connections beyond the cap while the open ones keep working', async () => {
      const port = sut.settings.peers.server.port;
      const refusedTask = task({ total: 0 });
      const admitted = await Promise.all([1, 2, 3, 4].map(() => peer(port)));
      // Each answers, so each is accepted (a dropped connection would close instead).
      await Promise.all(admitted.map((raw) => raw.request(Patterns.serverTask, refusedTask)));

      const beyond = await peer(port);
      await beyond.closed;

      const replies = await Promise.all(
        admitted.map((raw) => raw.request(Patterns.serverTask, refusedTask)),
      );
      expect(replies.map((reply) => reply.err)).toEqual(
        admitted.map(() => expect.objectContaining({ status: 'error' }) as unknown),
      );
    });
  });

  describe('a flood of refused messages', () => {
    let processor: INestMicroservice;
    let sut: TestSystem;

    @Controller()
    class RefusingProcessorController {
      // A processor stricter than the server: every task it gets is refused.
      @MessagePattern(Patterns.processorTask)
      refuse(): never {
        throw new RpcException('refused by the processor');
      }
    }

    @Module({ controllers: [RefusingProcessorController] })
    class RefusingProcessorModule {}

    beforeAll(async () => {
      processor = await NestFactory.createMicroservice<MicroserviceOptions>(
        RefusingProcessorModule,
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
      );
      await processor.listen();
      const { port } = processor.unwrap<Server>().address() as AddressInfo;
      sut = await startTestSystem({
        MODULES: 'server',
        PROCESSOR_PORT: String(port),
        LOG_LEVEL: 'warn',
        RETRY_ATTEMPTS: '0',
      });
    });

    afterAll(async () => {
      await closeAll(
        () => sut?.close(),
        () => processor?.close(),
      );
    });

    it('writes a bounded number of short log lines, and answers or closes each as before', async () => {
      const N = 200;
      const port = sut.settings.peers.server.port;
      const from = logs.lines.length;
      const started = Date.now();

      const sender = await peer(port);
      const [badTasks, refusedByProcessor] = await Promise.all([
        Promise.all(
          Array.from({ length: N }, () => sender.request(Patterns.serverTask, task({ seq: 0 }))),
        ),
        Promise.all(
          Array.from({ length: N }, (_, at) =>
            sender.request(Patterns.serverTask, task({ seq: 1, value: at })),
          ),
        ),
      ]);
      for (let at = 0; at < N; at++) sender.event('nobody.listens', { at });
      await sender.request(Patterns.serverTask, task({ total: 0 }));
      for (let at = 0; at < N / 4; at++) {
        const broken = await peer(port);
        broken.write(at % 2 === 0 ? '17#{"pattern": nope}' : '99999999#');
        await broken.closed;
      }
      const elapsedMs = Date.now() - started;

      // Answered with the contract's reason, or the processor's own answer, passed back as it came.
      expect(new Set(badTasks.map((reply) => JSON.stringify(reply.err)))).toEqual(
        new Set([
          JSON.stringify({ status: 'error', message: 'seq must be an integer in 1..total' }),
        ]),
      );
      expect(new Set(refusedByProcessor.map((reply) => JSON.stringify(reply.err)))).toEqual(
        new Set([JSON.stringify({ status: 'error', message: 'refused by the processor' })]),
      );

      // 2.75 N events that each used to write a line (some with a stack). Four throttles may
      // write: contract, handler failures, broken connections, unknown events; each at most
      // once per second, plus its first line.
      const problems = logs.problemsSince(from);
      const bound = 4 * (Math.ceil(elapsedMs / 1000) + 1);
      expect(problems.length).toBeLessThanOrEqual(bound);
      expect(bound).toBeLessThan(N / 2);
      for (const line of problems) expect(line.message.length).toBeLessThan(500);
    });
  });

  describe('the contract', () => {
    let sut: TestSystem;
    let client: ClientProxy;

    beforeAll(async () => {
      // A frame limit large enough to let the field through to the contract.
      sut = await startTestSystem({
        MODULES: 'saver',
        TCP_MAX_FRAME_BYTES: String(32 * 1024 * 1024),
        LOG_LEVEL: 'warn',
      });
      client = ClientProxyFactory.create({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: sut.settings.peers.saver.port },
      });
    });

    afterAll(async () => {
      await closeAll(
        () => client?.close(),
        () => sut?.close(),
      );
    });

    it('refuses a result with a 10 MB string field, writes nothing and logs a short line', async () => {
      const from = logs.lines.length;
      const huge = result({ runId: 'huge-field', processor: 'p'.repeat(10 * 1024 * 1024) });
      await expect(lastValueFrom(client.send(Patterns.saverResult, huge))).rejects.toMatchObject({
        message: expect.stringContaining('processor') as unknown,
      });
      expect((await readdir(sut.outputDir)).some((name) => name.includes('huge-field'))).toBe(
        false,
      );
      for (const line of logs.problemsSince(from)) expect(line.message.length).toBeLessThan(500);
    });
  });
});
