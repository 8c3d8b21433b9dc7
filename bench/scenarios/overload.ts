import type { StartClientsFigures } from '../load/start-clients.js';
import { Child } from '../../harness/child.js';
import type { Log } from '../log.js';
import { benchScript } from '../paths.js';
import { summarize, type Summary } from '../stats.js';
import { startUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';

/** The runs both kinds of clients start, as in the measurement that set the goal: 2×10, no delay. */
const RUN_QUERY = 'connection_count=2&connection_value=10&delay_range=0';

/** Goal: accepted runs keep at least this share of the polite rate while the flood goes on. */
export const OVERLOAD_GOAL = { minRatioToPolite: 0.5 };

export interface OverloadPlan {
  /** Length of each phase, seconds. */
  readonly seconds: number;
  readonly politeClients: number;
  readonly floodClients: number;
  readonly repeat: number;
  readonly childNodeArgs: readonly string[];
}

/** What one kind of clients got, each figure over the repeats. */
export interface OverloadPhase {
  readonly clients: number;
  /** Runs started and completed (answered 200 with `wait=saved`), per second. */
  readonly runsPerSecond: Summary;
  /** Answers 429, per second. */
  readonly refusedPerSecond: Summary;
  /** Of the runs completed, the 99th percentile of request → answer, ms. */
  readonly p99Ms: Summary;
  readonly p50Ms: Summary;
}

export interface OverloadResult {
  readonly run: string;
  readonly seconds: number;
  /** Clients that wait `Retry-After` when refused: the rate the system gives when asked kindly. */
  readonly polite: OverloadPhase;
  /** Clients that ask again at once when refused (a load tool, a naive retry loop). */
  readonly flood: OverloadPhase;
  /** Median runs/s of the flood ÷ that of the polite clients. */
  readonly ratioToPolite: number;
}

/**
 * Goodput under overload: a monolith (its own process, request logging on as users have it) is
 * asked by `politeClients` that honour `Retry-After`, then by `floodClients` that do not, each for
 * `seconds`, in turn for each repeat. The load is its own process (bench/load/start-clients.ts).
 */
export async function runOverload(
  monolith: SystemVariant,
  plan: OverloadPlan,
  log: Log,
): Promise<OverloadResult> {
  log.step(
    `overload: ${plan.politeClients} polite clients, then ${plan.floodClients} that ignore ` +
      `Retry-After, ${plan.seconds} s each, starting 2×10 runs`,
  );
  const sut = await startUnderTest(
    { ...monolith, name: `${monolith.name}-overload`, env: { ...monolith.env, LOG_LEVEL: 'log' } },
    { nodeArgs: plan.childNodeArgs },
  );
  const polite: StartClientsFigures[] = [];
  const flood: StartClientsFigures[] = [];
  try {
    for (let at = 1; at <= plan.repeat; at++) {
      for (const [kind, clients, into] of [
        ['polite', plan.politeClients, polite],
        ['flood', plan.floodClients, flood],
      ] as const) {
        const figures = await phase(sut.baseUrl, clients, kind === 'polite', plan.seconds);
        into.push(figures);
        log.detail(
          `${kind} ×${clients}: ${(figures.completed / figures.seconds).toFixed(1)} runs/s, ` +
            `${Math.round(figures.refused / figures.seconds)} refused/s, ` +
            `p99 ${Math.round(figures.completedMs.p99)} ms`,
        );
      }
    }
  } finally {
    await sut.close();
  }
  const politePhase = summarizePhase(polite);
  const floodPhase = summarizePhase(flood);
  return {
    run: '2×10, delay_range 0, wait=saved',
    seconds: plan.seconds,
    polite: politePhase,
    flood: floodPhase,
    ratioToPolite: floodPhase.runsPerSecond.median / politePhase.runsPerSecond.median,
  };
}

async function phase(
  baseUrl: string,
  clients: number,
  polite: boolean,
  seconds: number,
): Promise<StartClientsFigures> {
  const child = Child.start(
    `overload/${polite ? 'polite' : 'flood'}`,
    benchScript('load/start-clients.js'),
    {
      BASE_URL: baseUrl,
      CLIENTS: String(clients),
      POLITE: polite ? '1' : '0',
      DURATION_MS: String(seconds * 1000),
      RUN_QUERY,
    },
  );
  try {
    const figures = await child.nextSignal<StartClientsFigures>(seconds * 1000 + 120_000);
    if (figures.errors > 0)
      throw new Error(`${figures.errors} start(s) answered neither 200 nor 429:\n${child.log}`);
    return figures;
  } finally {
    await child.stop();
  }
}

function summarizePhase(runs: readonly StartClientsFigures[]): OverloadPhase {
  return {
    clients: runs[0]?.clients ?? 0,
    runsPerSecond: summarize(runs.map((r) => r.completed / r.seconds)),
    refusedPerSecond: summarize(runs.map((r) => r.refused / r.seconds)),
    p99Ms: summarize(runs.map((r) => r.completedMs.p99)),
    p50Ms: summarize(runs.map((r) => r.completedMs.p50)),
  };
}
