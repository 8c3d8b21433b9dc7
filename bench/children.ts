import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Every child this bench started and that has not exited: stopped on the way out, whatever happens. */
const running = new Set<Child>();

/** Prefix of the lines a bench child prints for its parent (the rest is log output). */
export const SIGNAL_PREFIX = 'BENCH ';

/** A process started by the bench, with its output kept (the tail) for error messages. */
export class Child {
  private output = '';
  private readonly exited: Promise<number | null>;
  private readonly signals: unknown[] = [];
  private readonly waiters: ((message: unknown) => void)[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    running.add(this);
    const keep = (text: string) => (this.output = (this.output + text).slice(-16_384));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        running.delete(this);
        resolve(code);
      });
      // A program that could not be started (ENOENT…) never emits 'exit'.
      child.once('error', (error) => {
        keep(`${error.message}\n`);
        running.delete(this);
        resolve(null);
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => keep(chunk.toString()));
    if (child.stdout) {
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
        if (!line.startsWith(SIGNAL_PREFIX)) return keep(`${line}\n`);
        const message: unknown = JSON.parse(line.slice(SIGNAL_PREFIX.length));
        const waiter = this.waiters.shift();
        if (waiter) waiter(message);
        else this.signals.push(message);
      });
    }
  }

  /** Starts `node [nodeArgs] script` with `env` added to the bench's environment. */
  static start(
    name: string,
    script: string,
    env: Record<string, string>,
    nodeArgs: readonly string[] = [],
  ): Child {
    return Child.command(name, process.execPath, [...nodeArgs, script], env);
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

  /** Settles with the exit code once the process has exited. */
  get whenExited(): Promise<number | null> {
    return this.exited;
  }

  get log(): string {
    return this.output;
  }

  /** The next `BENCH {json}` line the child prints; fails if it exits or takes longer than `withinMs`. */
  async nextSignal<T>(withinMs = 600_000): Promise<T> {
    const queued = this.signals.shift();
    if (queued !== undefined) return queued as T;
    let timer: NodeJS.Timeout | undefined;
    const signal = new Promise<unknown>((resolve) => this.waiters.push(resolve));
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.failure(`sent nothing within ${withinMs} ms`)),
        withinMs,
      );
      void this.exited.then((code) => reject(this.failure(`exited (code ${code})`)));
    });
    try {
      return (await Promise.race([signal, failure])) as T;
    } finally {
      clearTimeout(timer);
    }
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

  /** Waits for the process to end by itself; SIGKILL if it has not within `withinMs`. */
  async ended(withinMs = 15_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), withinMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** CPU time (user + system) the process has used so far, in ms (Linux USER_HZ is 100). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** SIGTERM, then SIGKILL if it has not stopped within `withinMs`; answers the exit code. */
  async stop(withinMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), withinMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  failure(what: string): Error {
    return new Error(`${this.name} (pid ${this.pid}) ${what}; its last output:\n${this.output}`);
  }

  /** Kills every child still running (used when the bench itself fails or is interrupted). */
  static killAll(): void {
    for (const child of running) child.child.kill('SIGKILL');
  }
}
