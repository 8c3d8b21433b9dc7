import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Fixed ports of the bench come from this range, clear of the system's 5000–5003 and of tests. */
const FIRST = 18_000;
const LAST = 18_999;
const handedOut = new Set<number>();

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port of 18000–18999 that was free a moment ago and that this bench has not handed out yet. */
export async function freePort(): Promise<number> {
  const start = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
  for (let step = 0; step <= LAST - FIRST; step++) {
    const port = FIRST + ((start - FIRST + step) % (LAST - FIRST + 1));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${FIRST}–${LAST}`);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
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
