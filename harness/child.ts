import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Every child started here that has not exited: `killAll` stops them when the bench itself fails. */
const running = new Set<Child>();

/** Prefix of the lines a bench child prints for its parent (the rest is log output). */
export const SIGNAL_PREFIX = 'BENCH ';

/** The output kept of each child: its tail, enough for any log a test reads and bounded for long runs. */
const KEPT_OUTPUT = 1 << 20;

/**
 * A process started by a test or the bench, with its output kept for waits and error messages.
 * Lines of stdout that start with `BENCH ` are messages to the parent (`nextSignal`), not output.
 */
export class Child {
  private output = '';
  private readonly exited: Promise<number | null>;
  private readonly signals: unknown[] = [];
  private readonly waiters: ((message: unknown) => void)[] = [];
  private readonly outputWatchers = new Set<() => void>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    running.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        running.delete(this);
        resolve(code);
      });
      // A program that could not be started (ENOENT…) never emits 'exit'.
      child.once('error', (error) => {
        this.keep(`${error.message}\n`);
        running.delete(this);
        resolve(null);
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
    if (child.stdout) {
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
        if (!line.startsWith(SIGNAL_PREFIX)) return this.keep(`${line}\n`);
        const message: unknown = JSON.parse(line.slice(SIGNAL_PREFIX.length));
        const waiter = this.waiters.shift();
        if (waiter) waiter(message);
        else this.signals.push(message);
      });
    }
  }

  /**
   * Starts `node [nodeArgs] script` with `env` added to this process's environment. `on`: a command
   * prefix that runs it elsewhere (`NetworkHosts.run(host)`), the signals reaching it.
   */
  static start(
    name: string,
    script: string,
    env: Record<string, string>,
    nodeArgs: readonly string[] = [],
    on: readonly string[] = [],
  ): Child {
    const [program, ...args] = [...on, process.execPath, ...nodeArgs, script];
    return Child.command(name, program, args, env);
  }

  /** Starts any program (e.g. the seed replica's Python services) with `env` added. */
  static command(
    name: string,
    command: string,
    args: readonly string[],
    env: Record<string, string>,
  ): Child {
    const child = spawn(command, [...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Child(name, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  /** Settles with the exit code once the process has exited by itself or was stopped. */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Waits until the process has printed `text`; fails if it exits or the time is up first. */
  async waitForLog(text: string, withinMs = 20_000): Promise<void> {
    let seen: () => void = () => undefined;
    const printed = new Promise<void>((resolve) => {
      seen = () => {
        if (this.output.includes(text)) resolve();
      };
    });
    this.outputWatchers.add(seen);
    seen();
    try {
      await this.ready(printed, withinMs, `did not print "${text}"`);
    } finally {
      this.outputWatchers.delete(seen);
    }
  }

  /**
   * Answers what `readiness` answers (e.g. `waitForPort`); fails with the child's output if it
   * exits, `readiness` fails or the time is up first.
   */
  async ready<T>(readiness: Promise<T>, withinMs = 30_000, what = 'was not ready'): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.failure(`${what} within ${withinMs} ms`)), withinMs);
      void this.exited.then((code) => reject(this.failure(`exited (code ${code})`)));
    });
    const failed = (error: unknown): never => {
      throw this.failure(`${what}: ${String((error as Error).message).split('\n')[0]}`);
    };
    try {
      return await Promise.race([readiness.catch(failed), failure]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next `BENCH {json}` line the child prints; fails if it exits or takes longer than `withinMs`. */
  async nextSignal<T>(withinMs = 600_000): Promise<T> {
    const queued = this.signals.shift();
    if (queued !== undefined) return queued as T;
    const signal = new Promise<unknown>((resolve) => this.waiters.push(resolve));
    return (await this.ready(signal, withinMs, 'sent nothing')) as T;
  }

  /** Peak and current resident memory (VmHWM, VmRSS) of the process, in MB. */
  memory(): { peakMB: number; rssMB: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kB = (field: string): number => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      if (!match) throw new Error(`no ${field} in /proc/${this.pid}/status`);
      return Number(match[1]) / 1024;
    };
    return { peakMB: kB('VmHWM'), rssMB: kB('VmRSS') };
  }

  /** CPU time (user + system) the process has used so far, in ms (Linux USER_HZ is 100). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Sends a signal and returns at once (`exitCode()` tells how the process ended). */
  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Waits for the process to end by itself; SIGKILL if it has not within `withinMs`. */
  async ended(withinMs = 15_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), withinMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not stopped within `withinMs`; answers the exit code. */
  async stop(withinMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return this.ended(withinMs);
  }

  failure(what: string): Error {
    const tail = this.output.slice(-16_384);
    return new Error(`${this.name} (pid ${this.pid}) ${what}; its last output:\n${tail}`);
  }

  /** Kills every child still running (used when the bench itself fails or is interrupted). */
  static killAll(): void {
    for (const child of running) child.child.kill('SIGKILL');
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-KEPT_OUTPUT);
    for (const watcher of this.outputWatchers) watcher();
  }
}
