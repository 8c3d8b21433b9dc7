import type { FileTail } from './file-tail.js';
import type { ProbeRecording } from './saver-probe.js';
import { finiteFrom, percentiles, summarize, type Percentiles, type Summary } from './stats.js';
import type { FileTimes } from './verify-file.js';

/** Where a timing figure comes from, so that a reader knows how far to trust it. */
export type FigureSource = 'bench' | 'file' | 'tail' | 'probe';

/** p50 and p99 of one timing, over the repeats. */
export interface TimingFigure {
  readonly figure: string;
  readonly source: FigureSource;
  readonly p50: Summary;
  readonly p99: Summary;
}

/** One repeat's percentiles of every figure, by name. */
export type RepeatTimings = Map<string, { source: FigureSource; value: Percentiles }>;

/**
 * Reorder wait estimated from the file alone: a result arrives at the saver about when it was
 * processed (same clock, one hop later), and is released when every earlier seq has arrived, so
 * wait(N) ≈ max(processedAt[1..N]) − processedAt[N].
 */
export function reorderWaitFromFile(times: FileTimes): Percentiles {
  const { processedAt } = times;
  const waits = new Float64Array(processedAt.length - 1);
  let released = -Infinity;
  for (let seq = 1; seq < processedAt.length; seq++) {
    released = Math.max(released, processedAt[seq]);
    waits[seq - 1] = released - processedAt[seq];
  }
  return percentiles(waits);
}

/** Processed → seen in the file by the bench's tail (hop to the saver + reorder wait + batching + write + poll). */
export function visibleLag(times: FileTimes, tail: FileTail): Percentiles {
  const lags = new Float64Array(times.processedAt.length);
  for (let seq = 1; seq < lags.length; seq++) lags[seq] = tail.seenAt[seq] - times.processedAt[seq];
  return percentiles(finiteFrom(lags, 1));
}

/** The figures of one repeat that come from the file, the tail and (when present) the probe. */
export function saverTimings(
  times: FileTimes,
  tail: FileTail | undefined,
  probe: ProbeRecording | undefined,
): RepeatTimings {
  const figures: RepeatTimings = new Map();
  figures.set('reorder wait (estimate from the file)', {
    source: 'file',
    value: reorderWaitFromFile(times),
  });
  if (tail) {
    figures.set('processed → in the file (tail)', {
      source: 'tail',
      value: visibleLag(times, tail),
    });
  }
  if (probe) {
    figures.set('processed → received by the saver (saver probe)', {
      source: 'probe',
      value: probe.handOff(times.processedAt),
    });
    figures.set('reorder wait (saver probe)', { source: 'probe', value: probe.reorderWait() });
    figures.set('write lag: release → written (saver probe)', {
      source: 'probe',
      value: probe.writeLag(),
    });
  }
  return figures;
}

/** Summaries over repeats, figure by figure, in the order the first repeat listed them. */
export function summarizeTimings(repeats: readonly RepeatTimings[]): TimingFigure[] {
  const first = repeats[0];
  if (!first) return [];
  return [...first.entries()].map(([figure, { source }]) => {
    const values = repeats.flatMap((repeat) => {
      const entry = repeat.get(figure);
      return entry ? [entry.value] : [];
    });
    return {
      figure,
      source,
      p50: summarize(values.map((value) => value.p50)),
      p99: summarize(values.map((value) => value.p99)),
    };
  });
}
