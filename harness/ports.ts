import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Below the kernel's ephemeral range. A port from that range (`listen(0)`) may be taken meanwhile by
 * anything that binds port 0 or opens an outgoing connection: other suites do, all the time (a split
 * client once failed with EADDRINUSE on one, and a private broker found another suite's HTTP server
 * on its port).
 */
export function belowEphemeral(): PortRange {
  let high = 32768; // Linux's default start of the range
  try {
    high = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    // Not Linux: keep the default.
  }
  return { first: Math.min(20_000, high - 1000), last: high - 1 };
}

/** Ports this process has handed out: never twice, though one may be free again by now. */
const handedOut = new Set<number>();

/**
 * A port that was free a moment ago, for a process whose port its parent must know before it starts
 * (a child process cannot tell its parent the port 0 gave it) or that must come back on the same
 * port. In-process systems bind port 0 and read the port back instead.
 */
export async function freePort(range: PortRange = belowEphemeral()): Promise<number> {
  const size = range.last - range.first + 1;
  const start = Math.floor(Math.random() * size);
  for (let step = 0; step < size; step++) {
    const port = range.first + ((start + step) % size);
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${range.first}–${range.last}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections on `host`:`port` now. */
export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Waits until 127.0.0.1:`port` accepts connections; throws after `withinMs`. */
export async function waitForPort(port: number, what: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await isListening(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port}`);
    await sleep(50);
  }
}

/** Waits until `url` answers over HTTP at all; give it a route without side effects (never `GET /`). */
export async function waitForHttp(url: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}
