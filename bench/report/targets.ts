import type { BaselineResult } from '../scenarios/baseline.js';
import type { DelayResult } from '../scenarios/delay.js';
import type { E2eResult } from '../scenarios/e2e.js';
import type { MemoryResult } from '../scenarios/memory.js';
import type { E2eWithRatios, MemoryGrowth, TargetCheck } from './model.js';

/** Issue 4's targets. */
export const TARGETS = {
  /** End to end at least this many times the bare 2-hop chain. */
  e2eOver2Hop: 1.0,
  /** A delayed run finishes within D + send time + this. */
  delaySlackMs: 200,
  /** Peak RSS per process at 1M tasks. */
  peakMB: 200,
  /** "Flat": peak RSS at 1M at most this many times the one at 100k. */
  flatGrowth: 1.25,
} as const;

const MILLION = 1_000_000;
const HUNDRED_K = 100_000;

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

/** Growth of peak RSS between the two largest runs measured. */
export function memoryGrowth(runs: readonly MemoryResult[]): MemoryGrowth | undefined {
  const sorted = [...runs].sort((a, b) => a.total - b.total);
  const to = sorted.at(-1);
  const from = sorted.at(-2);
  if (!to || !from || to.total === from.total) return undefined;
  const ratio: Record<string, number> = {};
  for (const [name, peak] of Object.entries(to.peakMB)) {
    const before = from.peakMB[name];
    if (before) ratio[name] = Math.round((peak / before) * 100) / 100;
  }
  return { from: from.shape, to: to.shape, ratio };
}

const ratioText = (value: number | undefined): string =>
  value === undefined ? 'n/a' : `${value.toFixed(2)}×`;

export function checkTargets(
  e2e: readonly E2eWithRatios[],
  delay: readonly DelayResult[],
  memory: readonly MemoryResult[],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const variant of ['monolith-tcp', 'split-tcp']) {
    const rows = e2e.filter((row) => row.variant === variant);
    const measured = rows.filter((row) => row.ratioTo2Hop !== undefined);
    checks.push({
      target: `${variant}: end to end ≥ ${TARGETS.e2eOver2Hop.toFixed(1)}× bare 2-hop`,
      value:
        rows.length === 0
          ? 'not measured'
          : rows.map((row) => `${ratioText(row.ratioTo2Hop)} at ${row.shape}`).join(', '),
      met:
        measured.length === 0 || measured.length < rows.length
          ? null
          : measured.every((row) => (row.ratioTo2Hop ?? 0) >= TARGETS.e2eOver2Hop),
    });
  }
  for (const row of delay) {
    checks.push({
      target: `${row.variant}: delay_range=${row.delaySeconds} s done within D + send + ${TARGETS.delaySlackMs} ms`,
      value: `over ideal by ${Math.round(row.overheadMs.median)} ms (median; ${Math.round(row.overheadMs.min)}–${Math.round(row.overheadMs.max)})`,
      met: row.overheadMs.median <= TARGETS.delaySlackMs,
    });
  }
  const atMillion = memory.find((run) => run.total >= MILLION);
  const atHundredK = memory.find((run) => run.total === HUNDRED_K);
  const peaks = atMillion ? Object.values(atMillion.peakMB) : [];
  checks.push({
    target: `peak RSS per process ≤ ${TARGETS.peakMB} MB at 1M tasks`,
    value: atMillion
      ? `max ${Math.max(...peaks)} MB (${atMillion.shape})`
      : 'not measured (needs --full)',
    met: atMillion ? Math.max(...peaks) <= TARGETS.peakMB : null,
  });
  const growth =
    atMillion && atHundredK
      ? Object.entries(atMillion.peakMB).map(
          ([name, peak]) => [name, peak / atHundredK.peakMB[name]] as const,
        )
      : undefined;
  checks.push({
    target: `peak RSS flat from 100k to 1M (each process ≤ ${TARGETS.flatGrowth}×)`,
    value: growth
      ? growth.map(([name, ratio]) => `${name} ${ratio.toFixed(2)}×`).join(', ')
      : 'not measured (needs --full)',
    met: growth ? growth.every(([, ratio]) => ratio <= TARGETS.flatGrowth) : null,
  });
  return checks;
}
