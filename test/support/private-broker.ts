import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A broker of our own, on free ports, for tests that kill and restart it: the shared brokers on
 * 4222, 1883, 5672 and 6379 serve other suites at the same time and must never be touched.
 */
export type PrivateBrokerKind = 'redis' | 'nats' | 'mqtt' | 'rmq';

interface Recipe {
  readonly name: string;
  /** Where to look for the program, in order: absolute paths, or names searched in PATH. */
  readonly programs: readonly string[];
  /** How long a start may take before the test gives up (RabbitMQ boots an Erlang node). */
  readonly startWithinMs: number;
  /** Writes what the broker needs into `dir` and answers its arguments and environment. */
  prepare(
    port: number,
    dir: string,
  ): Promise<{ args: string[]; env?: Record<string, string>; url: string }>;
}

const RECIPES: Record<PrivateBrokerKind, Recipe> = {
  redis: {
    name: 'Redis',
    programs: ['redis-server', '/usr/bin/redis-server'],
    startWithinMs: 15_000,
    prepare: (port) =>
      Promise.resolve({
        args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        url: `redis://127.0.0.1:${port}`,
      }),
  },
  nats: {
    name: 'NATS',
    programs: ['nats-server', '/usr/sbin/nats-server'],
    startWithinMs: 15_000,
    prepare: (port) =>
      Promise.resolve({
        args: ['-a', '127.0.0.1', '-p', String(port)],
        url: `nats://127.0.0.1:${port}`,
      }),
  },
  mqtt: {
    name: 'Mosquitto',
    programs: ['mosquitto', '/usr/sbin/mosquitto'],
    startWithinMs: 15_000,
    prepare: async (port, dir) => {
      const config = join(dir, 'mosquitto.conf');
      await writeFile(
        config,
        `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`,
      );
      return { args: ['-c', config], url: `mqtt://127.0.0.1:${port}` };
    },
  },
  rmq: {
    name: 'RabbitMQ',
    // Debian's /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user and logs
    // to /var/log; the script behind it runs a node as whoever calls it.
    programs: ['/usr/lib/rabbitmq/bin/rabbitmq-server', 'rabbitmq-server'],
    startWithinMs: 90_000,
    prepare: async (port, dir) => {
      const config = join(dir, 'rabbitmq.conf');
      // Our own config file: the system's would also open its listener on 5672.
      await writeFile(config, `listeners.tcp.1 = 127.0.0.1:${port}\nloopback_users.guest = true\n`);
      await writeFile(join(dir, 'enabled_plugins'), '[].\n');
      await writeFile(join(dir, 'rabbitmq-env.conf'), '');
      const distPort = await freePort();
      return {
        args: [],
        env: {
          // A cookie of its own in the temporary folder, nothing written in the real home.
          HOME: dir,
          RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
          RABBITMQ_CONFIG_FILE: config,
          RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
          RABBITMQ_NODENAME: `rabbit-test-${port}@localhost`,
          RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
          RABBITMQ_NODE_PORT: String(port),
          RABBITMQ_DIST_PORT: String(distPort),
          RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
          RABBITMQ_LOG_BASE: join(dir, 'log'),
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
          ERL_EPMD_ADDRESS: '127.0.0.1',
        },
        url: `amqp://guest:guest@127.0.0.1:${port}`,
      };
    },
  },
};

/** Every broker still running, killed if the test process ends without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

/**
 * One broker process (with its children: RabbitMQ's script starts an Erlang VM) in a process group
 * of its own, so `kill()` is a `kill -9` of all of it. Its data stays in a temporary folder across
 * restarts; `stop()` kills it and removes the folder.
 */
export class PrivateBroker {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly kind: PrivateBrokerKind,
    readonly port: number,
    readonly url: string,
    private readonly program: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly dir: string,
  ) {}

  /**
   * Starts a broker of `kind` on a free port and waits until it listens. Fails (never skips) when
   * the broker is not installed: CI installs all four with `.ci/brokers.sh`.
   */
  static async start(kind: PrivateBrokerKind): Promise<PrivateBroker> {
    const recipe = RECIPES[kind];
    const program = findProgram(recipe.programs);
    if (!program) {
      throw new Error(
        `${recipe.name} is not installed (looked for ${recipe.programs.join(', ')} in PATH and ` +
          `/usr/sbin): install it with \`bash .ci/brokers.sh\``,
      );
    }
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), `ordered-pipeline-${kind}-`));
    const { args, env, url } = await recipe.prepare(port, dir);
    const broker = new PrivateBroker(kind, port, url, program, args, env ?? {}, dir);
    await broker.launch();
    return broker;
  }

  /** What the broker printed (the last 20,000 characters), for a failure's message. */
  get log(): string {
    return this.output;
  }

  /** `kill -9` of the broker and its children; answers once its port refuses connections. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    killGroup(child);
    await exited;
    running.delete(child);
    await until(
      async () => !(await listens(this.port)),
      10_000,
      () => `${this.describe()} still listens after kill -9`,
    );
  }

  /** Starts the broker again on the same port, with the same data, and waits until it listens. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Kills the broker for good and removes its data. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private describe(): string {
    return `${RECIPES[this.kind].name} on 127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    // Whatever listens once it has started must be this broker, not another program.
    if (await listens(this.port))
      throw new Error(`${this.describe()} cannot start: another program listens on its port`);
    const child = spawn(this.program, this.args, {
      cwd: this.dir,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: kill() reaches the Erlang VM behind RabbitMQ's script too.
      detached: true,
    });
    running.add(child);
    this.child = child;
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let failure: Error | undefined;
    child.once('error', (error) => (failure = error));
    await until(
      async () => {
        if (failure) throw new Error(`${this.describe()} did not start: ${failure.message}`);
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `${this.describe()} exited (${child.exitCode ?? child.signalCode}) before it listened:\n` +
              this.output,
          );
        }
        return listens(this.port);
      },
      RECIPES[this.kind].startWithinMs,
      () =>
        `${this.describe()} did not listen within ${RECIPES[this.kind].startWithinMs} ms:\n${this.output}`,
    );
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group has already gone.
  }
}

function findProgram(candidates: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const candidate of candidates) {
    const paths = candidate.includes('/') ? [candidate] : dirs.map((dir) => join(dir, candidate));
    const found = paths.find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (found) return found;
  }
  return undefined;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `condition` every 50 ms until it holds; throws `message()` when `withinMs` has passed. */
async function until(
  condition: () => Promise<boolean>,
  withinMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
