import type { ClientProxy } from '@nestjs/microservices';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastValueFrom, timeout } from 'rxjs';
import type {
  SaverRunRef,
  SaverStatus,
  SaverStatusQuery,
} from '../../src/common/contracts/messages.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { FileTail } from '../file-tail.js';
import { runFilePath } from '../../src/saver/run-pipeline.js';
import { closeClients, connectClients, sendLoad } from '../load/send-load.js';
import type { Log } from '../log.js';
import { ProbeRecording, saverProbeHook } from '../saver-probe.js';
import { percentiles, summarize, type Summary } from '../stats.js';
import { startUnderTest, type SystemUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import {
  saverTimings,
  summarizeTimings,
  type RepeatTimings,
  type TimingFigure,
} from '../timing-figures.js';
import { verifyRunFile, type FileTimes } from '../verify-file.js';
import { collectGarbage } from './checked-run.js';

export interface LatencyPlan {
  readonly connections: number;
  readonly perConnection: number;
  readonly window: number;
  readonly idleTasks: number;
  readonly repeat: number;
}

export interface LatencyResult {
  readonly variant: string;
  readonly connections: number;
  readonly window: number;
  readonly tasks: number;
  /** Acknowledgements per second while loaded. */
  readonly acksPerSecond: Summary;
  /** Ack round trips and saver timings; the first two from the bench's own clients. */
  readonly figures: TimingFigure[];
  /** Whether src/saver had the probe hook (true reorder wait and write lag). */
  readonly probe: boolean;
}

let runCounter = 0;
const benchRunId = (what: string): string => `bench-${what}-${Date.now()}-${++runCounter}`;

/**
 * Ack round trip as a client sees it: the bench sends Tasks through its own Nest clients to the
 * server of a running monolith (window `window` per connection), timing each `send()`; then the
 * saver timings of the same run, from its file, a tail on it, and the saver probe if src/ has it.
 */
export async function runLatency(
  variant: SystemVariant,
  plan: LatencyPlan,
  log: Log,
): Promise<LatencyResult> {
  log.step(`latency: ${variant.name}`);
  const sut = await startUnderTest(variant, { inProcess: true });
  const setProbe = saverProbeHook(sut);
  if (!setProbe) log.detail('no saver probe on this variant (see bench/README.md): estimates only');
  const saver = (await connectClients(port(sut, 'saverPort'), 1))[0];
  const loaded = await connectClients(port(sut, 'serverPort'), plan.connections);
  try {
    const total = plan.connections * plan.perConnection;
    // Warm-up, then one connection with one task in flight: the round trip of an idle system.
    await measuredRun(sut, saver, loaded, Math.min(plan.perConnection, 500), plan.window);
    const idle = await measuredRun(sut, saver, loaded.slice(0, 1), plan.idleTasks, 1);
    const repeats: RepeatTimings[] = [];
    const rates: number[] = [];
    for (let at = 1; at <= plan.repeat; at++) {
      collectGarbage();
      const run = await measuredRun(
        sut,
        saver,
        loaded,
        plan.perConnection,
        plan.window,
        (runId) => {
          if (!setProbe) return undefined;
          const probe = new ProbeRecording(runId, total);
          setProbe(probe);
          return probe;
        },
      );
      setProbe?.(undefined);
      rates.push(total / (run.elapsedMs / 1000));
      repeats.push(run.timings);
      log.detail(
        `${plan.connections}×${plan.perConnection}, window ${plan.window}: ack p50 ` +
          `${run.timings.get(ACK_LOADED)?.value.p50.toFixed(2)} ms, ` +
          `p99 ${run.timings.get(ACK_LOADED)?.value.p99.toFixed(2)} ms`,
      );
    }
    const idleFigure = idle.timings.get(ACK_LOADED);
    const figures = summarizeTimings(repeats);
    if (idleFigure) {
      figures.unshift({
        figure: 'ack round trip, 1 in flight (idle system)',
        source: 'bench',
        p50: summarize([idleFigure.value.p50]),
        p99: summarize([idleFigure.value.p99]),
      });
    }
    return {
      variant: variant.name,
      connections: plan.connections,
      window: plan.window,
      tasks: total,
      acksPerSecond: summarize(rates),
      figures,
      probe: setProbe !== undefined,
    };
  } finally {
    setProbe?.(undefined);
    await closeClients([...loaded, saver]);
    await sut.close();
  }
}

export const ACK_LOADED = 'ack round trip (window per connection)';

function port(sut: SystemUnderTest, which: 'serverPort' | 'saverPort'): number {
  const value = sut[which];
  if (value === undefined)
    throw new Error(`latency needs a TCP system; ${sut.variant.name} is not`);
  return value;
}

interface MeasuredRun {
  readonly elapsedMs: number;
  readonly timings: RepeatTimings;
}

/** Sends one run through the server, waits for its file, checks it, and answers the timings. */
async function measuredRun(
  sut: SystemUnderTest,
  saver: ClientProxy,
  proxies: readonly ClientProxy[],
  perConnection: number,
  window: number,
  probeFor: (runId: string) => ProbeRecording | undefined = () => undefined,
): Promise<MeasuredRun> {
  const runId = benchRunId('latency');
  const total = proxies.length * perConnection;
  const rtts = new Float64Array(total);
  const path = runFilePath(sut.outputDir, runId);
  const probe = probeFor(runId);
  // As the client does: the saver takes results only for a run it has opened (saver.open).
  const run: SaverRunRef = { runId, total };
  await lastValueFrom(saver.send<SaverStatus>(Patterns.saverOpen, run).pipe(timeout(10_000)));
  const tail = new FileTail(path, total);
  const elapsedMs = await sendLoad({
    proxies,
    pattern: Patterns.serverTask,
    perConnection,
    window,
    runId,
    rtts,
  });
  const status = await completed(saver, runId, total);
  await tail.stop();
  const times = (await verifyRunFile(
    status.file,
    { runId, connectionCount: proxies.length, connectionValue: perConnection, delayRange: 0 },
    true,
  )) as FileTimes;
  await rm(status.file, { force: true });
  const timings: RepeatTimings = new Map([
    [ACK_LOADED, { source: 'bench' as const, value: percentiles(rtts) }],
  ]);
  for (const [name, entry] of saverTimings(times, tail, probe)) timings.set(name, entry);
  return { elapsedMs, timings };
}

/** Polls the saver until the run's file is complete; fails if it stops growing for 10 s. */
async function completed(saver: ClientProxy, runId: string, total: number): Promise<SaverStatus> {
  const query: SaverStatusQuery = { runId, total, missingLimit: 0 };
  let written = -1;
  let progressAt = Date.now();
  for (;;) {
    const status = await lastValueFrom(
      saver.send<SaverStatus>(Patterns.saverStatus, query).pipe(timeout(10_000)),
    );
    if (status.state === 'completed') return status;
    if (status.state === 'failed') throw new Error(`run ${runId}: the saver failed the file`);
    if (status.written > written) {
      written = status.written;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 10_000) {
      throw new Error(
        `run ${runId}: the file stopped at ${written}/${total} lines (no repair here)`,
      );
    }
    await sleep(10);
  }
}
