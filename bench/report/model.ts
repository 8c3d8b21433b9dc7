import type { Machine } from '../machine.js';
import type { BaselineResult } from '../scenarios/baseline.js';
import type { DelayResult } from '../scenarios/delay.js';
import type { E2eResult } from '../scenarios/e2e.js';
import type { JournalResult } from '../scenarios/journal.js';
import type { LatencyResult } from '../scenarios/latency.js';
import type { MemoryResult } from '../scenarios/memory.js';
import type { OverloadResult } from '../scenarios/overload.js';
import type { SeedResult } from '../scenarios/seed.js';

export interface E2eWithRatios extends E2eResult {
  /** Median tasks/s ÷ median baseline msg/s at the same connection count. */
  readonly ratioTo1Hop?: number;
  readonly ratioTo2Hop?: number;
}

export interface MemoryGrowth {
  readonly variant: string;
  readonly from: string;
  readonly to: string;
  /** Peak RSS at `to` ÷ peak RSS at `from`, per process. */
  readonly ratio: Record<string, number>;
}

export interface TargetCheck {
  /** What the target is about. */
  readonly area:
    'throughput' | 'seed' | 'latency' | 'delay' | 'brokers' | 'memory' | 'overload' | 'security';
  readonly target: string;
  readonly value: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

export interface BenchReport {
  readonly bench: 'ordered-pipeline';
  /** 2: seed scenario, targets, memory runs and growth per variant. */
  readonly schema: 2;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly machine: Machine;
  readonly options: Record<string, unknown>;
  /** System settings given through the environment (they change the figures). */
  readonly settings: Record<string, string>;
  readonly notes: string[];
  readonly baselines: BaselineResult[];
  readonly e2e: E2eWithRatios[];
  /** The seed replica against each variant (absent when the scenario was not selected). */
  readonly seed?: SeedResult;
  readonly latency?: LatencyResult;
  readonly delay: DelayResult[];
  readonly memory: { readonly runs: MemoryResult[]; readonly growth: MemoryGrowth[] };
  /** The run journal's cost, resume time and size (absent when the scenario was not selected). */
  readonly journal?: JournalResult;
  /** Goodput while clients that ignore Retry-After flood the API (absent when not selected). */
  readonly overload?: OverloadResult;
  readonly targets: TargetCheck[];
}
