import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from './free-port.js';

const ENTRY = resolve('dist/main.js');

type BuiltSystemEnv = Record<
  | 'OUTPUT_DIR'
  | 'CLIENT_PORT'
  | 'SERVER_PORT'
  | 'PROCESSOR_PORT'
  | 'SAVER_PORT'
  | 'SERVER_OPS_PORT'
  | 'PROCESSOR_OPS_PORT'
  | 'SAVER_OPS_PORT',
  string
>;

/**
 * What every process of one system started from the built output shares (four split processes, or
 * one monolith): its output folder, its own free ports, and health and metrics on any free port
 * (several of these processes share one machine).
 */
export async function builtSystemEnv(outputDir: string): Promise<BuiltSystemEnv> {
  return {
    OUTPUT_DIR: outputDir,
    CLIENT_PORT: String(await freePort()),
    SERVER_PORT: String(await freePort()),
    PROCESSOR_PORT: String(await freePort()),
    SAVER_PORT: String(await freePort()),
    SERVER_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    SAVER_OPS_PORT: '0',
  };
}

/** One module of the split system, as a real process started from the built output. */
export class ModuleProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  /** `on`: a command prefix that runs it elsewhere (`NetworkHosts.run(host)`), the signals reaching it. */
  static start(modules: string, env: Record<string, string>, on: string[] = []): ModuleProcess {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
    const [program, ...args] = [...on, process.execPath, ENTRY];
    const child = spawn(program, args, {
      env: { ...process.env, ...env, MODULES: modules },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ModuleProcess(modules, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  /** Waits until the process has printed `text`; fails if it exits or the time is up first. */
  async waitForLog(text: string, withinMs = 20_000): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.output}`,
        );
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print "${text}":\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Answers the exit code once the process has ended by itself. */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Sends a signal and returns at once (`exitCode()` tells how the process ended). */
  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Sends SIGTERM and answers the exit code; SIGKILL if it does not stop within `withinMs`. */
  async stop(withinMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), withinMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Waits until `url` answers over HTTP at all; give it a route without side effects (never `GET /`). */
export async function waitForHttp(url: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
