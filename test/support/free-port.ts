import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago, for a module that must come back on the same port, picked
 * below the kernel's ephemeral range. A port from that range (`listen(0)`) may be taken meanwhile by
 * anything that binds port 0 or opens an outgoing connection: other suites do, all the time (a
 * split client once failed with EADDRINUSE on one, and a private broker found another suite's HTTP
 * server on its port).
 */
export async function freePort(): Promise<number> {
  let high = 32768; // Linux's default start of the range
  try {
    high = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    // Not Linux: keep the default.
  }
  const low = Math.min(20_000, high - 1000);
  for (let tries = 0; tries < 100; tries++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${low}..${high - 1}`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
