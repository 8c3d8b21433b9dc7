import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Dockerd } from './docker.js';

/** What `docker run` needs of a docker-compose.yml service, read from the file itself. */
export interface ComposeService {
  readonly init: boolean;
  readonly stopGraceSeconds: number;
  readonly healthcheck: {
    readonly test: string[];
    readonly interval: string;
    readonly timeout: string;
    readonly retries: number;
    readonly start_period: string;
  };
}

/** Compose durations (`15s`, `1m30s`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return NaN;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

export function composeService(name: string): ComposeService {
  const file = parse(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as {
    services: Record<string, { init?: boolean; stop_grace_period?: string; healthcheck: unknown }>;
  };
  const service = file.services[name];
  return {
    init: service.init === true,
    // Compose's default is 10s, as docker's.
    stopGraceSeconds: Math.ceil(durationMs(service.stop_grace_period ?? '10s') / 1000),
    healthcheck: service.healthcheck as ComposeService['healthcheck'],
  };
}

/** One word for `sh -c`: docker run's --health-cmd takes a shell line, the compose file a list. */
const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

export interface ContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly env: Record<string, string>;
  /** The compose service whose init, stop grace and healthcheck the container takes. */
  readonly service: ComposeService;
  /** The healthcheck's port in the compose file is the default; here each module has its own. */
  readonly healthPort: number;
  /** host folder → container folder */
  readonly volume?: readonly [string, string];
}

/** A container on the host's network, run the way the compose file runs its service. */
export class Container {
  private constructor(
    private readonly daemon: Dockerd,
    readonly name: string,
    /** When `docker run` was called (epoch ms). */
    readonly startedAt: number,
  ) {}

  static async run(daemon: Dockerd, options: ContainerOptions): Promise<Container> {
    const { service, healthPort } = options;
    const [kind, ...command] = service.healthcheck.test;
    if (kind !== 'CMD')
      throw new Error(`healthcheck of ${options.name}: expected CMD, got ${kind}`);
    const line = command
      .map((word) => word.replace(/127\.0\.0\.1:\d+\//, `127.0.0.1:${healthPort}/`))
      .map(quote)
      .join(' ');
    if (!line.includes(`:${healthPort}/`))
      throw new Error(`healthcheck of ${options.name} names no 127.0.0.1 port: ${line}`);
    const args = [
      'run',
      '--detach',
      `--name=${options.name}`,
      '--network=host',
      ...(service.init ? ['--init'] : []),
      `--stop-timeout=${service.stopGraceSeconds}`,
      `--health-cmd=${line}`,
      `--health-interval=${service.healthcheck.interval}`,
      `--health-timeout=${service.healthcheck.timeout}`,
      `--health-retries=${service.healthcheck.retries}`,
      `--health-start-period=${service.healthcheck.start_period}`,
      ...Object.entries(options.env).map(([key, value]) => `--env=${key}=${value}`),
      ...(options.volume ? [`--volume=${options.volume[0]}:${options.volume[1]}`] : []),
      options.image,
    ];
    const startedAt = Date.now();
    await daemon.docker(args);
    return new Container(daemon, options.name, startedAt);
  }

  async state(): Promise<{ Status: string; ExitCode: number; Health?: { Status: string } }> {
    const info = await this.daemon.inspect<{
      State: { Status: string; ExitCode: number; Health?: { Status: string } };
    }>(this.name);
    return info.State;
  }

  /**
   * Waits for docker's own healthcheck to say healthy; answers the time since `since` (by default
   * `docker run`). Fails with the container's log if it stops, turns unhealthy, or time is up.
   */
  async healthy(since = this.startedAt, withinMs = 90_000): Promise<number> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const state = await this.state();
      if (state.Health?.Status === 'healthy') return Date.now() - since;
      if (
        state.Status !== 'running' ||
        state.Health?.Status === 'unhealthy' ||
        Date.now() > deadline
      )
        throw new Error(
          `${this.name} is ${state.Status}, health ${state.Health?.Status}:\n${await this.logs()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** stdout and stderr together (the container's, not the client's). */
  async logs(): Promise<string> {
    return this.daemon.docker(['logs', this.name], 30_000).catch((error: Error) => error.message);
  }

  /** `docker stop`: SIGTERM through the init, SIGKILL after the stop grace. */
  async stop(): Promise<{ ms: number; exitCode: number }> {
    const from = Date.now();
    await this.daemon.docker(['stop', this.name], 120_000);
    const ms = Date.now() - from;
    return { ms, exitCode: (await this.state()).ExitCode };
  }

  /** `docker start` again; answers when it was asked (for `healthy(since)`). */
  async start(): Promise<number> {
    const from = Date.now();
    await this.daemon.docker(['start', this.name]);
    return from;
  }

  async exec(command: string[]): Promise<string> {
    return this.daemon.docker(['exec', this.name, ...command]);
  }

  /** Paths `docker diff` names as added (A), changed (C) or deleted (D) in the container's own layer. */
  async diff(): Promise<string[]> {
    const text = await this.daemon.docker(['diff', this.name]);
    return text === '' ? [] : text.split('\n');
  }

  async remove(): Promise<void> {
    await this.daemon.docker(['rm', '--force', '--volumes', this.name]);
  }
}
