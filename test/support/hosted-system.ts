import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAll } from './close-all.js';
import { ModuleProcess } from './module-process.js';
import { NetworkHosts } from './network-hosts.js';

/** Callees first, so each module finds its peers listening. */
const START_ORDER = ['saver', 'processor', 'server', 'client'];

/**
 * The split system on hosts of its own (`NetworkHosts`), one module per host: host `name` runs the
 * module its name starts with (`saver-1` runs a saver), listening on its own address. `envOf`
 * gives each host its settings; the system's temporary folder is `dir`.
 */
export class HostedSystem {
  private readonly processes: ModuleProcess[] = [];

  private constructor(
    readonly hosts: NetworkHosts,
    readonly dir: string,
  ) {}

  static async start(
    names: readonly string[],
    envOf: (host: string, on: NetworkHosts, dir: string) => Record<string, string>,
  ): Promise<HostedSystem> {
    const dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-hosts-'));
    const system = new HostedSystem(NetworkHosts.create(names), dir);
    const moduleOf = (host: string): string => host.split('-')[0];
    const ordered = [...names].sort(
      (a, b) => START_ORDER.indexOf(moduleOf(a)) - START_ORDER.indexOf(moduleOf(b)),
    );
    try {
      for (const host of ordered) {
        const env = { LISTEN_HOST: system.hosts.address(host), ...envOf(host, system.hosts, dir) };
        const child = ModuleProcess.start(moduleOf(host), env, system.hosts.run(host));
        system.processes.push(child);
        await child.waitForLog(`listening: ${moduleOf(host)}`, 30_000);
      }
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** The client's HTTP API, on its host's address. */
  get clientUrl(): string {
    return `http://${this.hosts.address('client')}:5000`;
  }

  /** What each process has printed, for checks on its log. */
  get logs(): string[] {
    return this.processes.map((child) => child.log);
  }

  /** Stops every process, removes the hosts and the folder. */
  async stop(): Promise<void> {
    await closeAll(
      ...[...this.processes].reverse().map((child) => () => child.stop()),
      () => this.hosts.remove(),
      () => rm(this.dir, { recursive: true, force: true }),
    );
  }
}
