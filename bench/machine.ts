import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface Machine {
  readonly cpus: number;
  readonly model: string;
  readonly totalMemoryMB: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the bench started: a busy machine shows here. */
  readonly loadAverage: number;
  readonly date: string;
  /** Commit checked out when the bench ran, if git is there. */
  readonly commit?: string;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
    date: new Date().toISOString(),
    ...commit(),
  };
}

/** The commit checked out, by a read-only `git rev-parse` (the work tree may hold changes). */
function commit(): { commit?: string } {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit: head.trim() };
  } catch {
    return {};
  }
}
