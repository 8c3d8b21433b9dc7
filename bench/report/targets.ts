import type { BaselineResult } from '../scenarios/baseline.js';
import type { DelayResult } from '../scenarios/delay.js';
import type { E2eResult } from '../scenarios/e2e.js';
import { ACK_LOADED, type LatencyResult } from '../scenarios/latency.js';
import type { MemoryResult } from '../scenarios/memory.js';
import { OVERLOAD_GOAL, type OverloadResult } from '../scenarios/overload.js';
import type { SeedResult } from '../scenarios/seed.js';
import type { E2eWithRatios, MemoryGrowth, TargetCheck } from './model.js';

/** The targets the bench checks: throughput, seed, latency, delay, brokers and memory. */
export const TARGETS = {
  /** End to end ÷ the bare 2-hop chain, at each of `twoHopShapes`. */
  over2Hop: { 'split-tcp': 1.5, 'monolith-tcp': 1.0 } as Record<string, number>,
  twoHopShapes: ['100×1000', '10×10000'],
  /** Each variant ÷ the seed replica, at the seed scenario's shapes. */
  overSeed: 25,
  /** Ack round trip p99 under load (latency scenario), at this load. */
  ackP99Ms: 160,
  ackLoad: { connections: 10, window: 64 },
  /** A delayed run finishes within send time + D + this. */
  delaySlackMs: 200,
  /**
   * Broker variants ÷ the figures they had before the per-hop work was cut (tasks/s, split, the
   * light 100×100 shape).
   */
  overBrokerBefore: 2,
  brokerTasksPerSecondBefore: {
    'split-nats': 6400,
    'split-rmq': 2300,
    'split-redis': 2600,
    'split-mqtt': 1700,
  } as Record<string, number>,
  brokerShape: '100×100',
  /** Split over TCP with signed messages, or with mutual TLS, ÷ split-tcp at this shape (e2e). */
  overPlainSplit: 0.8,
  securedVariants: ['split-tcp-signed', 'split-tcp-tls'],
  securedShape: '100×1000',
  /** Peak RSS at 1M tasks (1000×1000): the monolith's process, and each split process. */
  millionPeakMB: { 'monolith-tcp': 400, 'split-tcp': 250 } as Record<string, number>,
  /** tasks/s at 1M ÷ tasks/s at 100k (100×1000), same variant, both from the memory scenario. */
  millionOver100k: 0.9,
} as const;

const MILLION = 1_000_000;
const HUNDRED_K = 100_000;
const NOT_MEASURED = 'not measured';

export function withRatios(
  e2e: readonly E2eResult[],
  baselines: readonly BaselineResult[],
): E2eWithRatios[] {
  const rate = (kind: string, connections: number) =>
    baselines.find((b) => b.kind === kind && b.connections === connections)?.msgsPerSecond.median;
  return e2e.map((result) => {
    const one = rate('1-hop', result.connections);
    const two = rate('2-hop', result.connections);
    return {
      ...result,
      ...(one ? { ratioTo1Hop: result.tasksPerSecond.median / one } : {}),
      ...(two ? { ratioTo2Hop: result.tasksPerSecond.median / two } : {}),
    };
  });
}

/** Growth of peak RSS between the two largest runs measured, per variant. */
export function memoryGrowth(runs: readonly MemoryResult[]): MemoryGrowth[] {
  const out: MemoryGrowth[] = [];
  for (const variant of new Set(runs.map((run) => run.variant))) {
    const sorted = runs.filter((run) => run.variant === variant).sort((a, b) => a.total - b.total);
    const to = sorted.at(-1);
    const from = sorted.at(-2);
    if (!to || !from || to.total === from.total) continue;
    const ratio: Record<string, number> = {};
    for (const [name, peak] of Object.entries(to.peakMB)) {
      const before = from.peakMB[name];
      if (before) ratio[name] = Math.round((peak / before) * 100) / 100;
    }
    out.push({ variant, from: from.shape, to: to.shape, ratio });
  }
  return out;
}

const times = (value: number): string => `${value.toFixed(2)}×`;
const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')} tasks/s`;

export interface MeasuredFigures {
  readonly e2e: readonly E2eWithRatios[];
  readonly seed?: SeedResult;
  readonly latency?: LatencyResult;
  readonly delay: readonly DelayResult[];
  readonly memory: readonly MemoryResult[];
  readonly overload?: OverloadResult;
}

/**
 * Every target against the figures of this run; a target whose figures this run did not measure
 * is "not measured" (met: null), never met.
 */
export function checkTargets(figures: MeasuredFigures): TargetCheck[] {
  return [
    ...twoHopTargets(figures.e2e),
    ...seedTargets(figures.seed),
    ackTarget(figures.latency),
    ...delayTargets(figures.delay),
    ...brokerTargets(figures.e2e),
    ...memoryTargets(figures.memory),
    ...securedTargets(figures.e2e),
    overloadTarget(figures.overload),
  ];
}

function securedTargets(e2e: readonly E2eWithRatios[]): TargetCheck[] {
  const at = (variant: string) =>
    e2e.find((row) => row.variant === variant && row.shape === TARGETS.securedShape);
  const plain = at('split-tcp');
  return TARGETS.securedVariants.map((variant) => {
    const target = `${variant} ≥ ${TARGETS.overPlainSplit}× split-tcp at ${TARGETS.securedShape}`;
    const row = at(variant);
    if (!row || !plain) return { area: 'security', target, value: NOT_MEASURED, met: null };
    const ratio = row.tasksPerSecond.median / plain.tasksPerSecond.median;
    return {
      area: 'security',
      target,
      value: `${times(ratio)} (${rate(row.tasksPerSecond.median)} against ${rate(plain.tasksPerSecond.median)})`,
      met: ratio >= TARGETS.overPlainSplit,
    };
  });
}

function overloadTarget(overload: OverloadResult | undefined): TargetCheck {
  const target =
    `runs completed while clients that ignore Retry-After flood the API ≥ ` +
    `${OVERLOAD_GOAL.minRatioToPolite.toFixed(1)}× those of polite clients`;
  if (!overload) return { area: 'overload', target, value: NOT_MEASURED, met: null };
  const { polite, flood, ratioToPolite } = overload;
  return {
    area: 'overload',
    target,
    value:
      `${times(ratioToPolite)} (${flood.runsPerSecond.median.toFixed(1)} runs/s with ${flood.clients} ` +
      `flooding, ${polite.runsPerSecond.median.toFixed(1)} with ${polite.clients} polite)`,
    met: ratioToPolite >= OVERLOAD_GOAL.minRatioToPolite,
  };
}

function twoHopTargets(e2e: readonly E2eWithRatios[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [variant, over] of Object.entries(TARGETS.over2Hop)) {
    for (const shape of TARGETS.twoHopShapes) {
      const row = e2e.find((r) => r.variant === variant && r.shape === shape);
      const ratio = row?.ratioTo2Hop;
      checks.push({
        area: 'throughput',
        target: `${variant} ≥ ${over.toFixed(1)}× bare Nest 2-hop at ${shape}`,
        value:
          ratio === undefined
            ? `${NOT_MEASURED}${row ? ' (no 2-hop baseline at this connection count)' : ''}`
            : `${times(ratio)} (${rate(row!.tasksPerSecond.median)})`,
        met: ratio === undefined ? null : ratio >= over,
      });
    }
  }
  return checks;
}

function seedTargets(seed: SeedResult | undefined): TargetCheck[] {
  const target = `each variant ≥ ${TARGETS.overSeed}× the seed replica end to end`;
  if (!seed || seed.runs.length === 0) {
    const why = seed?.skipped ? ` (seed skipped: ${seed.skipped})` : '';
    return [{ area: 'seed', target, value: `${NOT_MEASURED}${why}`, met: null }];
  }
  const variants = [...new Set(seed.pipeline.map((row) => row.variant))];
  if (variants.length === 0) return [{ area: 'seed', target, value: NOT_MEASURED, met: null }];
  return variants.map((variant) => {
    const rows = seed.pipeline.filter((row) => row.variant === variant);
    const ratios = rows.map((row) => row.ratioToSeed);
    const all = ratios.every((r): r is number => r !== undefined);
    return {
      area: 'seed',
      target: `${variant} ≥ ${TARGETS.overSeed}× the seed replica end to end`,
      value: rows
        .map((row) =>
          row.ratioToSeed === undefined
            ? `n/a at ${row.shape}`
            : `${times(row.ratioToSeed)} at ${row.shape}`,
        )
        .join(', '),
      met: all ? ratios.every((r) => r >= TARGETS.overSeed) : null,
    };
  });
}

function ackTarget(latency: LatencyResult | undefined): TargetCheck {
  const { connections, window } = TARGETS.ackLoad;
  const target = `ack p99 ≤ ${TARGETS.ackP99Ms} ms at ${connections} connections × ${window} in flight`;
  const figure = latency?.figures.find((f) => f.figure === ACK_LOADED);
  if (!latency || !figure) return { area: 'latency', target, value: NOT_MEASURED, met: null };
  if (latency.connections !== connections || latency.window !== window) {
    return {
      area: 'latency',
      target,
      value: `${NOT_MEASURED} (ran at ${latency.connections} × ${latency.window})`,
      met: null,
    };
  }
  const p99 = figure.p99;
  return {
    area: 'latency',
    target,
    value: `${p99.median.toFixed(1)} ms (${latency.variant}; median of ${p99.samples.length} runs, max ${p99.max.toFixed(1)})`,
    met: p99.median <= TARGETS.ackP99Ms,
  };
}

function delayTargets(delay: readonly DelayResult[]): TargetCheck[] {
  const target = `delay runs: total ≤ send + D + ${TARGETS.delaySlackMs} ms`;
  if (delay.length === 0) return [{ area: 'delay', target, value: NOT_MEASURED, met: null }];
  return delay.map((row) => ({
    area: 'delay',
    target: `${row.variant}: delay_range=${row.delaySeconds} s, total ≤ send + D + ${TARGETS.delaySlackMs} ms`,
    value: `over by ${Math.round(row.overheadMs.median)} ms (median; ${Math.round(row.overheadMs.min)}–${Math.round(row.overheadMs.max)})`,
    met: row.overheadMs.median <= TARGETS.delaySlackMs,
  }));
}

function brokerTargets(e2e: readonly E2eWithRatios[]): TargetCheck[] {
  return Object.entries(TARGETS.brokerTasksPerSecondBefore).map(([variant, before]) => {
    const row = e2e.find((r) => r.variant === variant && r.shape === TARGETS.brokerShape);
    const goal = before * TARGETS.overBrokerBefore;
    return {
      area: 'brokers',
      target: `${variant} ≥ ${TARGETS.overBrokerBefore}× its earlier ${rate(before)} at ${TARGETS.brokerShape} (${rate(goal)})`,
      value: row
        ? `${rate(row.tasksPerSecond.median)} (${times(row.tasksPerSecond.median / before)})`
        : NOT_MEASURED,
      met: row ? row.tasksPerSecond.median >= goal : null,
    };
  });
}

function memoryTargets(memory: readonly MemoryResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [variant, limit] of Object.entries(TARGETS.millionPeakMB)) {
    const million = memory.find((run) => run.variant === variant && run.total === MILLION);
    const hundredK = memory.find((run) => run.variant === variant && run.total === HUNDRED_K);
    const perProcess = variant.startsWith('split') ? ' per process' : '';
    const peaks = million ? Object.entries(million.peakMB) : [];
    const highest = peaks.reduce<[string, number] | undefined>(
      (top, entry) => (top && top[1] >= entry[1] ? top : entry),
      undefined,
    );
    checks.push({
      area: 'memory',
      target: `${variant}: peak RSS${perProcess} ≤ ${limit} MB at 1M tasks (1000×1000)`,
      value: highest
        ? `${highest[1].toFixed(1)} MB (${highest[0]})`
        : `${NOT_MEASURED} (memory scenario with --full)`,
      met: highest ? highest[1] <= limit : null,
    });
    const ratio =
      million && hundredK ? million.tasksPerSecond / hundredK.tasksPerSecond : undefined;
    checks.push({
      area: 'memory',
      target: `${variant}: tasks/s at 1M ≥ ${TARGETS.millionOver100k}× at 100k (memory scenario, cold)`,
      value:
        ratio === undefined
          ? `${NOT_MEASURED} (memory scenario with --full: 100×1000 and 1000×1000)`
          : `${times(ratio)} (${rate(million!.tasksPerSecond)} vs ${rate(hundredK!.tasksPerSecond)})`,
      met: ratio === undefined ? null : ratio >= TARGETS.millionOver100k,
    });
  }
  return checks;
}
