import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../../harness/child.js';
import { freePort, waitForPort } from '../../harness/ports.js';
import { BENCH_PORTS } from '../paths.js';

/** bench/seed/ in the source tree (the Python files are not compiled into dist-bench/). */
const SEED_DIR = fileURLToPath(new URL('../../../bench/seed/', import.meta.url));

/** Debian's python3-aiohttp installs for /usr/bin/python3; then whatever python3 PATH gives. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

export interface FoundPython {
  readonly command: string;
  /** e.g. "Python 3.11.2, aiohttp 3.8.4". */
  readonly version: string;
}

/** The first python3 that can import aiohttp, or why there is none. */
export function findPython(): FoundPython | { readonly reason: string } {
  const tried: string[] = [];
  for (const command of PYTHONS) {
    const probe = spawnSync(
      command,
      ['-c', 'import sys, aiohttp; print(sys.version.split()[0], aiohttp.__version__)'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (probe.status === 0) {
      const [python, aiohttp] = probe.stdout.trim().split(' ');
      return { command, version: `Python ${python}, aiohttp ${aiohttp}` };
    }
    const why = probe.error
      ? probe.error.message
      : (probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`);
    tried.push(`${command}: ${why}`);
  }
  return { reason: `no python3 that imports aiohttp (${tried.join('; ')})` };
}

/** The four Python services of bench/seed/ on free ports, writing into a temporary folder. */
export interface SeedReplica {
  readonly baseUrl: string;
  /** The save service: `GET /status?runId=` answers `{ written }`. */
  readonly saveUrl: string;
  readonly outputDir: string;
  readonly processes: ReadonlyMap<string, Child>;
  close(): Promise<void>;
}

/** Started one after the other, as the seed's README says (save first, so every hop has a peer). */
const ORDER = ['save', 'process', 'server', 'client'] as const;

export async function startSeedReplica(python: FoundPython): Promise<SeedReplica> {
  const outputDir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-bench-seed-'));
  const ports: Record<(typeof ORDER)[number], number> = {
    client: await freePort(BENCH_PORTS),
    server: await freePort(BENCH_PORTS),
    process: await freePort(BENCH_PORTS),
    save: await freePort(BENCH_PORTS),
  };
  const env = {
    SEED_CLIENT_PORT: String(ports.client),
    SEED_SERVER_PORT: String(ports.server),
    SEED_PROCESS_PORT: String(ports.process),
    SEED_SAVE_PORT: String(ports.save),
    SEED_OUTPUT_DIR: outputDir,
    // No __pycache__ in bench/seed/.
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const processes = new Map<string, Child>();
  const close = async (): Promise<void> => {
    for (const name of [...ORDER].reverse()) {
      const child = processes.get(name);
      const code = await child?.stop();
      if (child && code !== 0 && code !== null) {
        process.stderr.write(`note: ${child.name} exited with code ${code}\n${child.log}\n`);
      }
    }
    await rm(outputDir, { recursive: true, force: true });
  };
  try {
    for (const name of ORDER) {
      const child = Child.command(
        `seed/${name}`,
        python.command,
        ['-u', join(SEED_DIR, `${name}.py`)],
        env,
      );
      processes.set(name, child);
      await child.ready(waitForPort(ports[name], child.name), 30_000, 'did not start');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    baseUrl: `http://127.0.0.1:${ports.client}`,
    saveUrl: `http://127.0.0.1:${ports.save}`,
    outputDir,
    processes,
    close,
  };
}
