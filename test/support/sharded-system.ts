import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportName } from '../../src/common/settings/settings.js';
import { deleteQueues } from './brokers.js';
import { closeAll } from './close-all.js';
import { freePort } from '../../harness/ports.js';
import { builtSystemEnv, ModuleProcess, waitForHttp } from './module-process.js';

/**
 * The split system with several savers, as real processes: one client, one server, one
 * processor, and `savers` savers, each with its own output folder (or one for all). On TCP the savers are
 * SAVER_ADDRESSES; on a broker, SAVER_COUNT and each its SAVER_INDEX, under a BROKER_PREFIX of
 * the system's own, so the shared brokers' other users never see its messages.
 */
export class ShardedSystem {
  readonly savers: (ModuleProcess | undefined)[] = [];
  private readonly others: ModuleProcess[] = [];

  private constructor(
    readonly transport: TransportName,
    readonly dir: string,
    readonly prefix: string,
    private readonly saverEnvs: Record<string, string>[],
    private readonly common: Record<string, string>,
  ) {}

  /** `sharedOutput`: one output folder for every saver (what `SAVER_FAILOVER` needs). */
  static async start(
    transport: TransportName,
    savers: number,
    extra: Record<string, string> = {},
    { sharedOutput = false } = {},
  ): Promise<ShardedSystem> {
    const dir = await mkdtemp(join(tmpdir(), `ordered-pipeline-savers-${transport}-`));
    const prefix = `savers-${randomBytes(4).toString('hex')}`;
    const base = await builtSystemEnv(join(dir, 'client'));
    const ports = await Promise.all(Array.from({ length: savers }, () => freePort()));
    const common: Record<string, string> = {
      ...base,
      ...extra,
      TRANSPORT: transport,
      ...(transport === 'tcp'
        ? { SAVER_ADDRESSES: ports.map((port) => `127.0.0.1:${port}`).join(',') }
        : { SAVER_COUNT: String(savers), BROKER_PREFIX: prefix }),
    };
    const saverEnvs = ports.map((port, index) => ({
      ...common,
      OUTPUT_DIR: join(dir, sharedOutput ? 'savers' : `saver-${index}`),
      ...(transport === 'tcp' ? { SAVER_PORT: String(port) } : { SAVER_INDEX: String(index) }),
    }));
    const system = new ShardedSystem(transport, dir, prefix, saverEnvs, common);
    try {
      await Promise.all(saverEnvs.map((env) => mkdir(env.OUTPUT_DIR, { recursive: true })));
      await Promise.all(saverEnvs.map((_, index) => system.startSaver(index)));
      for (const module of ['processor', 'server', 'client']) {
        const child = ModuleProcess.start(module, common);
        system.others.push(child);
        await child.waitForLog(`listening: ${module}`, 30_000);
      }
      await waitForHttp(`${system.baseUrl}/health/live`);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.common.CLIENT_PORT}`;
  }

  /**
   * Starts one more client on the same servers and savers, with a port and a folder (its runs'
   * state) of its own; answers its base URL once it is live.
   */
  async startClient(): Promise<string> {
    const port = String(await freePort());
    const child = ModuleProcess.start('client', {
      ...this.common,
      CLIENT_PORT: port,
      OUTPUT_DIR: join(this.dir, `client-${port}`),
    });
    this.others.push(child);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/health/live`);
    return baseUrl;
  }

  /** Saver `index`'s output folder. */
  outputOf(index: number): string {
    return this.saverEnvs[index].OUTPUT_DIR;
  }

  /** The run files saver `index` has written. */
  async filesOf(index: number): Promise<string[]> {
    return (await readdir(this.outputOf(index))).filter((name) => name.endsWith('.jsonl'));
  }

  /** Starts saver `index` (again), and waits until it listens. */
  async startSaver(index: number): Promise<void> {
    const child = ModuleProcess.start('saver', this.saverEnvs[index]);
    this.savers[index] = child;
    await child.waitForLog('listening: saver', 30_000);
  }

  /** `kill -9` of saver `index`; answers once it has gone. */
  async killSaver(index: number): Promise<void> {
    const child = this.savers[index];
    this.savers[index] = undefined;
    child?.signal('SIGKILL');
    await child?.exitCode();
  }

  /** Stops every process, removes the broker queues of its own (RabbitMQ) and its folder. */
  async stop(): Promise<void> {
    await closeAll(
      ...[...this.others].reverse().map((child) => () => child.stop()),
      ...this.savers.map((child) => () => child?.stop()),
      () =>
        this.transport === 'rmq'
          ? deleteQueues([
              ...['server', 'processor'].map((role) => `${this.prefix}.ordered-pipeline.${role}`),
              ...this.saverEnvs.map((_, index) => `${this.prefix}.ordered-pipeline.saver.${index}`),
            ])
          : undefined,
      () => rm(this.dir, { recursive: true, force: true }),
    );
  }
}
