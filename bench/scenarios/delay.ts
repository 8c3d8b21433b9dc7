import { isFinal } from '../../src/common/contracts/http.js';
import { PipelineApi } from '../../src/cli/api.js';
import { FileTail } from '../file-tail.js';
import { runOverHttp, shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import { ProbeRecording, saverProbeHook } from '../saver-probe.js';
import { summarize, type Summary } from '../stats.js';
import { startUnderTest, type SystemUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import {
  saverTimings,
  summarizeTimings,
  type RepeatTimings,
  type TimingFigure,
} from '../timing-figures.js';
import type { FileTimes } from '../verify-file.js';
import { collectGarbage, runFile, savedRun, verifyAndDrop } from './checked-run.js';

export interface DelayResult {
  readonly variant: string;
  readonly shape: string;
  readonly delaySeconds: number;
  /** From the run's start until every task was acknowledged (GET /runs/:id, polled every 10 ms). */
  readonly sendMs: Summary;
  /** From the run's start until the last line was flushed (the run's elapsedMs). */
  readonly totalMs: Summary;
  /** send time + delay_range. */
  readonly idealMs: Summary;
  /** total − ideal. */
  readonly overheadMs: Summary;
  /** total ÷ ideal. */
  readonly ratio: Summary;
  readonly figures: TimingFigure[];
}

const POLL_MS = 10;

/** A run with delay_range=D: how far its total time is over the ideal (send time + D). */
export async function runDelay(
  variants: readonly SystemVariant[],
  shape: RunShape,
  seconds: number,
  repeat: number,
  log: Log,
  childNodeArgs: readonly string[],
): Promise<DelayResult[]> {
  const results: DelayResult[] = [];
  for (const variant of variants) {
    log.step(`delay ${seconds} s: ${variant.name}`);
    const sut = await startUnderTest(variant, { nodeArgs: childNodeArgs, inProcess: true });
    const inProcess = saverProbeHook(sut);
    try {
      await savedRun(
        sut,
        { connections: shape.connections, values: Math.ceil(shape.values / 5) },
        0,
      );
      const runs: { send: number; total: number }[] = [];
      const repeats: RepeatTimings[] = [];
      for (let at = 1; at <= repeat; at++) {
        collectGarbage();
        const one = await delayedRun(sut, shape, seconds, inProcess);
        runs.push(one);
        repeats.push(one.timings);
        log.detail(
          `${variant.name} ${shapeName(shape)}: send ${one.send} ms, total ${one.total} ms, ` +
            `over ideal ${one.total - one.send - seconds * 1000} ms`,
        );
      }
      const ideal = runs.map((run) => run.send + seconds * 1000);
      results.push({
        variant: variant.name,
        shape: shapeName(shape),
        delaySeconds: seconds,
        sendMs: summarize(runs.map((run) => run.send)),
        totalMs: summarize(runs.map((run) => run.total)),
        idealMs: summarize(ideal),
        overheadMs: summarize(runs.map((run, i) => run.total - ideal[i])),
        ratio: summarize(runs.map((run, i) => run.total / ideal[i])),
        figures: summarizeTimings(repeats),
      });
    } finally {
      await sut.close();
    }
  }
  return results;
}

async function delayedRun(
  sut: SystemUnderTest,
  shape: RunShape,
  seconds: number,
  setProbe: ((probe: ProbeRecording | undefined) => void) | undefined,
): Promise<{ send: number; total: number; timings: RepeatTimings }> {
  const { view: started } = await runOverHttp(sut.baseUrl, shape, seconds, 'none');
  const probe = setProbe ? new ProbeRecording(started.runId, totalOf(shape)) : undefined;
  setProbe?.(probe);
  const tail = new FileTail(runFile(sut, started), totalOf(shape));
  const withinMs = 120_000 + seconds * 1000;
  try {
    const api = new PipelineApi(sut.baseUrl);
    const polling = { everyMs: POLL_MS, withinMs };
    const sent = await api.until(started.runId, (view) => view.state !== 'sending', polling);
    const done = isFinal(sent.state) ? sent : await api.settled(started.runId, polling);
    await tail.stop();
    const times = (await verifyAndDrop(sut, done, shape, true)) as FileTimes;
    return {
      send: sent.elapsedMs,
      total: done.elapsedMs,
      timings: saverTimings(times, tail, probe),
    };
  } finally {
    setProbe?.(undefined);
    await tail.stop();
  }
}
