import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { performance } from 'node:perf_hooks';
import { lastValueFrom, timeout } from 'rxjs';
import type { Task } from '../../src/common/contracts/messages.js';

/** Bare Nest TCP clients to 127.0.0.1:`port`, connected. */
export async function connectClients(port: number, count: number): Promise<ClientProxy[]> {
  const proxies = Array.from({ length: count }, () =>
    ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }),
  );
  await Promise.all(proxies.map((proxy) => proxy.connect() as Promise<unknown>));
  return proxies;
}

export async function closeClients(proxies: readonly ClientProxy[]): Promise<void> {
  await Promise.all(proxies.map(async (proxy) => void (await proxy.close())));
}

export interface Load {
  readonly proxies: readonly ClientProxy[];
  readonly pattern: string;
  /** Requests sent on each connection. */
  readonly perConnection: number;
  /** Requests in flight on each connection. */
  readonly window: number;
  readonly runId: string;
  readonly delayRange?: number;
  /** When given, the round trip of seq N (ms) goes to `rtts[N - 1]`. */
  readonly rtts?: Float64Array;
  readonly timeoutMs?: number;
}

/**
 * Sends `perConnection` tasks on every connection with `window` in flight on each, the way the
 * system's client does: seq taken across all connections at the moment of sending. Any failure
 * fails the whole load. Answers the elapsed time in ms.
 */
export async function sendLoad(load: Load): Promise<number> {
  const total = load.proxies.length * load.perConnection;
  const waitMs = load.timeoutMs ?? 30_000;
  let seq = 0;
  const lane = async (proxy: ClientProxy, conn: number): Promise<void> => {
    let idx = 0;
    const worker = async (): Promise<void> => {
      while (idx < load.perConnection) {
        const task: Task = {
          runId: load.runId,
          seq: ++seq,
          total,
          conn,
          idx: ++idx,
          value: Math.floor(Math.random() * 2 ** 31),
          sentAt: Date.now(),
          delayRange: load.delayRange ?? 0,
        };
        const started = performance.now();
        await lastValueFrom(proxy.send(load.pattern, task).pipe(timeout(waitMs)));
        if (load.rtts) load.rtts[task.seq - 1] = performance.now() - started;
      }
    };
    await Promise.all(Array.from({ length: load.window }, worker));
  };
  const started = performance.now();
  await Promise.all(load.proxies.map((proxy, at) => lane(proxy, at + 1)));
  return performance.now() - started;
}
