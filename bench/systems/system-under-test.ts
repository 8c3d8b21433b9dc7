import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAP_FLAGS } from '../../src/common/heap-flags.js';
import { loadSettings } from '../../src/common/settings/environment.js';
import { SaverObservers } from '../../src/saver/saver-observers.js';
import { startSystem } from '../../src/system.js';
import { Child } from '../../harness/child.js';
import { BENCH_PORTS, SYSTEM_ENTRY } from '../paths.js';
import { freePort, waitForPort } from '../../harness/ports.js';
import type { SystemVariant } from './variants.js';

/** A running system the bench talks to: over HTTP, and over TCP to the server and saver. */
export interface SystemUnderTest {
  readonly variant: SystemVariant;
  readonly baseUrl: string;
  readonly outputDir: string;
  /** TCP ports of the server and saver (TCP variants only). */
  readonly serverPort?: number;
  readonly saverPort?: number;
  /**
   * The system's processes: by module (split), `monolith` (a monolith in its own process), or none
   * (the in-process monolith, which is this process).
   */
  readonly processes: ReadonlyMap<string, Child>;
  /** The saver's observers, when the saver runs in this process (the monolith). */
  readonly saverObservers?: SaverObservers;
  close(): Promise<void>;
}

/** CPU time used so far by each process of the system, ms: the split modules, or this process. */
export function cpuByProcess(sut: SystemUnderTest): Record<string, number> {
  if (sut.processes.size === 0) {
    const { user, system } = process.cpuUsage();
    return { monolith: (user + system) / 1000 };
  }
  const out: Record<string, number> = {};
  for (const name of PROCESS_NAMES) {
    // Several savers count as one: the savers' CPU together (`saver`, `saver-1`, …).
    const children = [...sut.processes].filter(
      ([each]) => each === name || each.startsWith(`${name}-`),
    );
    if (children.length > 0)
      out[name] = children.reduce((sum, [, child]) => sum + child.cpuMs(), 0);
  }
  return out;
}

/** Names of the system's processes, in the order the report shows them. */
export const PROCESS_NAMES = ['monolith', 'client', 'server', 'processor', 'saver'] as const;

/** What every system of the bench gets, over the bench's own environment: quiet logs, own folder. */
const benchEnvironment = (outputDir: string): Record<string, string> => ({
  OUTPUT_DIR: outputDir,
  LOG_LEVEL: 'warn',
  LISTEN_HOST: '127.0.0.1',
  SERVER_HOST: '127.0.0.1',
  PROCESSOR_HOST: '127.0.0.1',
  SAVER_HOST: '127.0.0.1',
});

export interface StartOptions {
  /** Node options of the system's processes (not of an in-process monolith). */
  readonly nodeArgs?: readonly string[];
  /**
   * A monolith in the bench's own process (`startSystem`, no pino logging), for the scenarios that
   * time each result inside the saver. Otherwise a monolith runs as users run it: its own
   * `node dist-bench/src/main.js` process (all four modules, `npm start`'s heap cap), so its
   * figures and its peak RSS are the system's alone.
   */
  readonly inProcess?: boolean;
}

const SPLIT_ORDER = ['saver', 'processor', 'server', 'client'] as const;
type ModuleName = (typeof SPLIT_ORDER)[number];

/** One process of the system: its name, and the modules it runs. */
interface Group {
  readonly name: string;
  readonly modules: readonly ModuleName[];
}

export async function startUnderTest(
  variant: SystemVariant,
  options: StartOptions = {},
): Promise<SystemUnderTest> {
  const outputDir = await mkdtemp(join(tmpdir(), `ordered-pipeline-bench-${variant.name}-`));
  // Split: one process per module, and with several savers one per saver (`saver`, `saver-1`, …).
  const savers = Array.from({ length: variant.savers ?? 1 }, (_, at) =>
    at === 0 ? 'saver' : `saver-${at}`,
  );
  const groups: Group[] =
    variant.mode === 'split'
      ? SPLIT_ORDER.flatMap((name): Group[] =>
          name === 'saver'
            ? savers.map((saver) => ({ name: saver, modules: [name] }))
            : [{ name, modules: [name] }],
        )
      : [{ name: 'monolith', modules: SPLIT_ORDER }];
  try {
    return variant.mode === 'monolith' && options.inProcess
      ? await startMonolith(variant, outputDir)
      : await startProcesses(variant, outputDir, options.nodeArgs ?? [], groups);
  } catch (error) {
    await rm(outputDir, { recursive: true, force: true });
    throw error;
  }
}

/** All four modules in this process, every port 0 (as the tests do). */
async function startMonolith(variant: SystemVariant, outputDir: string): Promise<SystemUnderTest> {
  const settings = loadSettings({
    ...process.env,
    ...benchEnvironment(outputDir),
    ...variant.env,
    MODULES: 'client,server,processor,saver',
    CLIENT_PORT: '0',
    SERVER_PORT: '0',
    PROCESSOR_PORT: '0',
    SAVER_PORT: '0',
    // Health and metrics on free ports: several of these processes share one machine.
    SERVER_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    SAVER_OPS_PORT: '0',
  });
  const system = await startSystem(settings);
  const tcp = variant.transport === 'tcp';
  return {
    variant,
    baseUrl: `http://127.0.0.1:${system.settings.clientPort}`,
    outputDir,
    ...(tcp
      ? {
          serverPort: system.settings.peers.server.port,
          saverPort: system.settings.peers.saver.port,
        }
      : {}),
    processes: new Map(),
    saverObservers: system.get('saver', SaverObservers),
    close: async () => {
      await system.close();
      await rm(outputDir, { recursive: true, force: true });
    },
  };
}

/**
 * `node dist-bench/src/main.js` processes on fixed free ports, each running the MODULES of its
 * group: one module each (split), or all four in one (a monolith in its own process).
 */
async function startProcesses(
  variant: SystemVariant,
  outputDir: string,
  nodeArgs: readonly string[],
  groups: readonly Group[],
): Promise<SystemUnderTest> {
  const ports = {
    client: await freePort(BENCH_PORTS),
    server: await freePort(BENCH_PORTS),
    processor: await freePort(BENCH_PORTS),
    saver: await freePort(BENCH_PORTS),
  };
  // Each saver's port, the first the one `ports.saver` names.
  const saverGroups = groups.filter(({ modules }) => modules.join() === 'saver');
  const saverPorts = new Map<string, number>();
  for (const [at, { name }] of saverGroups.entries())
    saverPorts.set(name, at === 0 ? ports.saver : await freePort(BENCH_PORTS));
  const portOf = (group: Group, module: ModuleName): number =>
    module === 'saver' ? (saverPorts.get(group.name) ?? ports.saver) : ports[module];
  const env = {
    ...benchEnvironment(outputDir),
    ...variant.env,
    CLIENT_PORT: String(ports.client),
    SERVER_PORT: String(ports.server),
    PROCESSOR_PORT: String(ports.processor),
    SAVER_PORT: String(ports.saver),
    ...(saverGroups.length > 1
      ? { SAVER_ADDRESSES: [...saverPorts.values()].map((port) => `127.0.0.1:${port}`).join(',') }
      : {}),
    // Health and metrics on free ports: several of these processes share one machine.
    SERVER_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    SAVER_OPS_PORT: '0',
  };
  const processes = new Map<string, Child>();
  const close = async (): Promise<void> => {
    // Callers first, as the system itself closes: client → server → processor → saver.
    for (const { name } of [...groups].reverse()) {
      const child = processes.get(name);
      const code = await child?.stop();
      if (child && code !== 0) {
        process.stderr.write(`note: ${child.name} exited with code ${code}\n${child.log}\n`);
      }
    }
    await rm(outputDir, { recursive: true, force: true });
  };
  try {
    for (const group of groups) {
      const { name, modules } = group;
      const child = Child.start(
        `${variant.name}/${name}`,
        SYSTEM_ENTRY,
        { ...env, MODULES: modules.join(','), SAVER_PORT: String(portOf(group, 'saver')) },
        // The heap flags users run with (README, "Memory"); `--child-node-args` come after, so theirs win.
        [...(groups.length === 1 ? HEAP_FLAGS.monolith : HEAP_FLAGS.split), ...nodeArgs],
      );
      processes.set(name, child);
      // Brokers: only the client listens on a port; the warm-up run shows the rest is up.
      const listening = modules.filter((m) => m === 'client' || variant.transport === 'tcp');
      for (const module of listening) {
        await child.ready(waitForPort(portOf(group, module), child.name), 30_000, 'did not start');
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    variant,
    baseUrl: `http://127.0.0.1:${ports.client}`,
    outputDir,
    ...(variant.transport === 'tcp' ? { serverPort: ports.server, saverPort: ports.saver } : {}),
    processes,
    close,
  };
}
