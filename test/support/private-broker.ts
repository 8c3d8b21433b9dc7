import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from '../../harness/ports.js';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A broker of our own, on free ports, for tests that kill and restart it: the shared brokers on
 * 4222, 1883, 5672 and 6379 serve other suites at the same time and must never be touched.
 */
export type PrivateBrokerKind = 'redis' | 'nats' | 'mqtt' | 'rmq';

/**
 * A broker that lets in only `user` with `password` (and, for NATS, the nkey user `nkey`), and with
 * `tls` only over mutual TLS: it presents `tls.cert` and asks for a client certificate `tls.ca` signed.
 */
export interface BrokerAccess {
  readonly user: string;
  readonly password: string;
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** NATS: the public key of an nkey user it also lets in. */
  readonly nkey?: string;
  /**
   * NATS: a config file of users of its own instead (as docs/brokers/nats-roles.conf), with the
   * environment it reads their passwords from; `user` and `password` then only go in `url`.
   */
  readonly natsConfig?: { readonly file: string; readonly env: Record<string, string> };
}

/** How long a broker may take to start, unless its recipe says more. */
const START_WITHIN_MS = 15_000;

interface Recipe {
  readonly name: string;
  /** Where to look for the program, in order: absolute paths, or names searched in PATH. */
  readonly programs: readonly string[];
  /** How long a start may take before the test gives up; START_WITHIN_MS when not given. */
  readonly startWithinMs?: number;
  /** Writes what the broker needs into `dir` and answers its arguments and environment. */
  prepare(
    port: number,
    dir: string,
    access?: BrokerAccess,
  ): Promise<{ args: string[]; env?: Record<string, string>; url: string }>;
}

/** `scheme://user:password@127.0.0.1:port`, the secure scheme with TLS. */
const urlOf = (schemes: [string, string], port: number, access?: BrokerAccess): string =>
  `${access?.tls ? schemes[1] : schemes[0]}://${
    access ? `${encodeURIComponent(access.user)}:${encodeURIComponent(access.password)}@` : ''
  }127.0.0.1:${port}`;

/** Writes `lines` as the file `name` in the broker's folder, and answers its path. */
async function writeConfig(dir: string, name: string, lines: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

const RECIPES: Record<PrivateBrokerKind, Recipe> = {
  redis: {
    name: 'Redis',
    programs: ['redis-server', '/usr/bin/redis-server'],
    prepare: (port, _dir, access) => {
      const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      if (access)
        // An ACL user of its own; the default user, which needs no password, is off.
        args.push(
          ...['--user', 'default', 'off'],
          ...['--user', access.user, 'on', `>${access.password}`, '~*', '&*', '+@all'],
        );
      if (access?.tls)
        args.push(
          ...['--port', '0', '--tls-port', String(port)],
          ...['--tls-cert-file', access.tls.cert, '--tls-key-file', access.tls.key],
          ...['--tls-ca-cert-file', access.tls.ca, '--tls-auth-clients', 'yes'],
        );
      else args.push('--port', String(port));
      return Promise.resolve({ args, url: urlOf(['redis', 'rediss'], port, access) });
    },
  },
  nats: {
    name: 'NATS',
    programs: ['nats-server', '/usr/sbin/nats-server'],
    prepare: async (port, dir, access) => {
      const listen = ['-a', '127.0.0.1', '-p', String(port)];
      if (!access) return { args: listen, url: urlOf(['nats', 'tls'], port) };
      const url = urlOf(['nats', 'tls'], port, access);
      if (access.natsConfig)
        return { args: ['-c', access.natsConfig.file, ...listen], env: access.natsConfig.env, url };
      const users = [
        `{ user: ${JSON.stringify(access.user)}, password: ${JSON.stringify(access.password)} }`,
        ...(access.nkey ? [`{ nkey: ${access.nkey} }`] : []),
      ];
      const tls = access.tls
        ? [
            `tls { cert_file: "${access.tls.cert}", key_file: "${access.tls.key}", ` +
              `ca_file: "${access.tls.ca}", verify: true }`,
          ]
        : [];
      const config = await writeConfig(dir, 'nats.conf', [
        'host: 127.0.0.1',
        `port: ${port}`,
        `authorization { users: [ ${users.join(', ')} ] }`,
        ...tls,
      ]);
      return { args: ['-c', config], url };
    },
  },
  mqtt: {
    name: 'Mosquitto',
    programs: ['mosquitto', '/usr/sbin/mosquitto'],
    prepare: async (port, dir, access) => {
      const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr'];
      // Started as root, Mosquitto would become the mosquitto user, who cannot read this
      // test's private folder (its password file and certificates).
      if (process.getuid?.() === 0) lines.push('user root');
      if (access) {
        const passwords = join(dir, 'passwords');
        const made = spawnSync(
          'mosquitto_passwd',
          ['-b', '-c', passwords, access.user, access.password],
          { encoding: 'utf8' },
        );
        if (made.status !== 0)
          throw new Error(
            `mosquitto_passwd failed (${made.error?.message ?? made.stderr}): it comes with ` +
              `Debian's mosquitto package (bash .ci/brokers.sh)`,
          );
        lines.push('allow_anonymous false', `password_file ${passwords}`);
      } else lines.push('allow_anonymous true');
      if (access?.tls)
        lines.push(
          `cafile ${access.tls.ca}`,
          `certfile ${access.tls.cert}`,
          `keyfile ${access.tls.key}`,
          'require_certificate true',
        );
      const config = await writeConfig(dir, 'mosquitto.conf', lines);
      return { args: ['-c', config], url: urlOf(['mqtt', 'mqtts'], port, access) };
    },
  },
  rmq: {
    name: 'RabbitMQ',
    // Debian's /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user and logs
    // to /var/log; the script behind it runs a node as whoever calls it.
    programs: ['/usr/lib/rabbitmq/bin/rabbitmq-server', 'rabbitmq-server'],
    // It boots an Erlang node first.
    startWithinMs: 90_000,
    prepare: async (port, dir, access) => {
      // Our own config file: the system's would also open its listener on 5672.
      const lines = access?.tls
        ? [
            'listeners.tcp = none',
            `listeners.ssl.1 = 127.0.0.1:${port}`,
            `ssl_options.cacertfile = ${access.tls.ca}`,
            `ssl_options.certfile = ${access.tls.cert}`,
            `ssl_options.keyfile = ${access.tls.key}`,
            'ssl_options.verify = verify_peer',
            'ssl_options.fail_if_no_peer_cert = true',
          ]
        : [`listeners.tcp.1 = 127.0.0.1:${port}`];
      lines.push(
        ...(access ? [`default_user = ${access.user}`, `default_pass = ${access.password}`] : []),
        'loopback_users.guest = true',
      );
      const config = await writeConfig(dir, 'rabbitmq.conf', lines);
      const plugins = await writeConfig(dir, 'enabled_plugins', ['[].']);
      const envFile = await writeConfig(dir, 'rabbitmq-env.conf', []);
      const distPort = await freePort();
      return {
        args: [],
        env: {
          // A cookie of its own in the temporary folder, nothing written in the real home.
          HOME: dir,
          RABBITMQ_CONF_ENV_FILE: envFile,
          RABBITMQ_CONFIG_FILE: config,
          RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
          RABBITMQ_NODENAME: `rabbit-test-${port}@localhost`,
          RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
          // With TLS, the plain listener is off and the config file says where TLS listens.
          ...(access?.tls ? {} : { RABBITMQ_NODE_PORT: String(port) }),
          RABBITMQ_DIST_PORT: String(distPort),
          RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
          RABBITMQ_LOG_BASE: join(dir, 'log'),
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
          ERL_EPMD_ADDRESS: '127.0.0.1',
        },
        url: access
          ? urlOf(['amqp', 'amqps'], port, access)
          : `amqp://guest:guest@127.0.0.1:${port}`,
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
  static async start(kind: PrivateBrokerKind, access?: BrokerAccess): Promise<PrivateBroker> {
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
    const { args, env, url } = await recipe.prepare(port, dir, access);
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
    const withinMs = RECIPES[this.kind].startWithinMs ?? START_WITHIN_MS;
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
      withinMs,
      () => `${this.describe()} did not listen within ${withinMs} ms:\n${this.output}`,
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
