import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import type { BenchOptions } from '../options.js';
import { summarize, type Summary } from '../stats.js';
import {
  findPython,
  startSeedReplica,
  type FoundPython,
  type SeedReplica,
} from '../systems/seed-replica.js';
import { startUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import { verifyRunFile } from '../verify-file.js';
import { collectGarbage, savedRun } from './checked-run.js';
import { warmUpShape } from './e2e.js';

/** The seed replica (bench/seed/, four Python aiohttp services) at one shape, delay_range=0. */
export interface SeedRun {
  readonly shape: string;
  readonly connections: number;
  readonly total: number;
  /** From sending the GET until the save service reports every line written. */
  readonly wallMs: Summary;
  /** From sending the GET until its answer (the seed's client answers once every task is acked). */
  readonly ackedMs: Summary;
  readonly tasksPerSecond: Summary;
  /** CPU time of each Python service during a run, ms. */
  readonly cpuMs: Record<string, Summary>;
}

/** A pipeline variant at a seed shape, measured in the same scenario (GET wait=saved). */
export interface SeedComparison {
  readonly variant: string;
  readonly shape: string;
  readonly total: number;
  readonly tasksPerSecond: Summary;
  /** Median tasks/s ÷ the seed replica's median tasks/s at the same shape. */
  readonly ratioToSeed?: number;
}

export interface SeedResult {
  /** e.g. "/usr/bin/python3 (Python 3.11.2, aiohttp 3.8.4)". */
  readonly python?: string;
  /** Why the seed replica did not run (no python3 with aiohttp). */
  readonly skipped?: string;
  readonly runs: SeedRun[];
  readonly pipeline: SeedComparison[];
}

/** How long the save service may go without writing a line before the run counts as stuck. */
const STALL_MS = 30_000;

/**
 * The anchor: the seed's design (bench/seed/) against each pipeline variant at the same shapes,
 * smaller than the e2e ones by default (the seed runs at hundreds of tasks/s).
 */
export async function runSeed(
  variants: readonly SystemVariant[],
  options: Pick<BenchOptions, 'seedShapes' | 'repeat' | 'brokers' | 'childNodeArgs'>,
  log: Log,
): Promise<SeedResult> {
  const python = findPython();
  if ('reason' in python) {
    log.step(`seed: skipped, ${python.reason}`);
    return { skipped: python.reason, runs: [], pipeline: [] };
  }
  log.step(`seed replica: ${python.command} (${python.version})`);
  const runs = await runSeedReplica(python, options.seedShapes, options.repeat, log);
  const pipeline: SeedComparison[] = [];
  for (const variant of variants) {
    const light = variant.brokerPort !== undefined && options.brokers === 'light';
    const shapes = light ? options.seedShapes.slice(0, 1) : options.seedShapes;
    log.step(`seed shapes: ${variant.name}${light ? ' (light: first shape only)' : ''}`);
    const sut = await startUnderTest(variant, { nodeArgs: options.childNodeArgs });
    try {
      for (const shape of shapes) await savedRun(sut, warmUpShape(shape), 0);
      for (const shape of shapes) {
        const rates: number[] = [];
        for (let at = 1; at <= options.repeat; at++) {
          collectGarbage();
          const { wallMs } = await savedRun(sut, shape, 0);
          rates.push(totalOf(shape) / (wallMs / 1000));
          log.detail(
            `${variant.name} ${shapeName(shape)}: ${Math.round(rates.at(-1) ?? 0)} tasks/s`,
          );
        }
        const tasksPerSecond = summarize(rates);
        const seed = runs.find((run) => run.shape === shapeName(shape));
        pipeline.push({
          variant: variant.name,
          shape: shapeName(shape),
          total: totalOf(shape),
          tasksPerSecond,
          ...(seed ? { ratioToSeed: tasksPerSecond.median / seed.tasksPerSecond.median } : {}),
        });
      }
    } finally {
      await sut.close();
    }
  }
  return { python: `${python.command} (${python.version})`, runs, pipeline };
}

async function runSeedReplica(
  python: FoundPython,
  shapes: readonly RunShape[],
  repeat: number,
  log: Log,
): Promise<SeedRun[]> {
  const seed = await startSeedReplica(python);
  const results: SeedRun[] = [];
  try {
    for (const shape of shapes) await seedRun(seed, warmUpShape(shape));
    for (const shape of shapes) {
      const wall: number[] = [];
      const acked: number[] = [];
      const cpu = new Map<string, number[]>();
      for (let at = 1; at <= repeat; at++) {
        const cpuBefore = cpuOf(seed);
        const run = await seedRun(seed, shape);
        for (const [name, ms] of Object.entries(cpuOf(seed))) {
          cpu.set(name, [...(cpu.get(name) ?? []), ms - cpuBefore[name]]);
        }
        wall.push(run.wallMs);
        acked.push(run.ackedMs);
        log.detail(
          `seed ${shapeName(shape)}: ${Math.round(run.wallMs)} ms, ` +
            `${Math.round(totalOf(shape) / (run.wallMs / 1000))} tasks/s`,
        );
      }
      const total = totalOf(shape);
      results.push({
        shape: shapeName(shape),
        connections: shape.connections,
        total,
        wallMs: summarize(wall),
        ackedMs: summarize(acked),
        tasksPerSecond: summarize(wall.map((ms) => total / (ms / 1000))),
        cpuMs: Object.fromEntries([...cpu].map(([name, ms]) => [name, summarize(ms)])),
      });
    }
  } finally {
    await seed.close();
  }
  return results;
}

function cpuOf(seed: SeedReplica): Record<string, number> {
  return Object.fromEntries([...seed.processes].map(([name, child]) => [name, child.cpuMs()]));
}

interface SeedAnswer {
  readonly runId: string;
  readonly total: number;
}

/** One run of the seed replica: GET until acked, then until saved; the file checked and dropped. */
async function seedRun(
  seed: SeedReplica,
  shape: RunShape,
): Promise<{ wallMs: number; ackedMs: number }> {
  const total = totalOf(shape);
  const query = new URLSearchParams({
    connection_count: String(shape.connections),
    connection_value: String(shape.values),
    delay_range: '0',
  });
  const started = performance.now();
  const { status, body } = await seedJson<SeedAnswer>(`${seed.baseUrl}/?${query.toString()}`);
  const ackedMs = performance.now() - started;
  if (status !== 200 || body.total !== total) {
    throw new Error(`seed GET /?${query.toString()} answered ${status}: ${JSON.stringify(body)}`);
  }
  await allWritten(seed, body.runId, total);
  const wallMs = performance.now() - started;
  const file = join(seed.outputDir, `${body.runId}.jsonl`);
  await verifyRunFile(file, {
    runId: body.runId,
    connectionCount: shape.connections,
    connectionValue: shape.values,
    delayRange: 0,
  });
  await rm(file, { force: true });
  return { wallMs, ackedMs };
}

/** Polls the save service every 5 ms until the run's file holds `total` lines. */
async function allWritten(seed: SeedReplica, runId: string, total: number): Promise<void> {
  let written = -1;
  let progressAt = performance.now();
  for (;;) {
    const { body } = await seedJson<{ written: number }>(
      `${seed.saveUrl}/status?runId=${encodeURIComponent(runId)}`,
    );
    if (body.written >= total) return;
    if (body.written > written) {
      written = body.written;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > STALL_MS) {
      throw new Error(`seed run ${runId}: the file stopped at ${written}/${total} lines`);
    }
    await sleep(5);
  }
}

/** The seed replica's own API (not the system's, so not its client): a GET answered as JSON. */
async function seedJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}
