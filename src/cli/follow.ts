import type { RunProgress } from '../common/contracts/http.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type PipelineApi } from './api.js';
import { metricsOf } from './metrics.js';
import { ProgressBar, ProgressLines, type ProgressDisplay } from './progress-display.js';
import { formatSummary, type JsonSummary } from './summary.js';
import { evaluate, type Threshold } from './thresholds.js';

export interface FollowOptions {
  readonly thresholds: readonly Threshold[];
  readonly json: boolean;
  /** Without a terminal, a progress line this often. */
  readonly progressEveryMs: number;
}

/** Exit codes, as k6 has them: 99 when a threshold failed. */
export const EXIT = { ok: 0, runNotCompleted: 1, usage: 2, thresholdFailed: 99 } as const;

/** A stream that broke before the run's end (the app restarted, a proxy cut it) is opened again. */
const RECONNECTS = 5;
const RECONNECT_DELAY_MS = 1000;

/**
 * Follows a run to its end (a progress bar on a terminal, lines otherwise, both on stderr), then
 * prints its summary and thresholds on stdout and answers the exit code: 99 if a threshold
 * failed, else 1 if the run did not complete, else 0.
 */
export async function follow(
  api: PipelineApi,
  runId: string,
  options: FollowOptions,
): Promise<number> {
  const display: ProgressDisplay = process.stderr.isTTY
    ? new ProgressBar()
    : new ProgressLines(options.progressEveryMs);
  const stopOnSignal = (): void => {
    display.stop();
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  let last: RunProgress | undefined;
  try {
    last = await untilEnd(api, runId, (progress) => display.update(progress));
  } finally {
    display.stop(last);
    process.off('SIGINT', stopOnSignal);
  }

  const { summary } = await api.report(runId);
  const metrics = metricsOf(summary);
  const verdicts = evaluate(options.thresholds, metrics);
  const reportUrl = api.reportUrl(runId);
  if (options.json) {
    const json: JsonSummary = {
      summary,
      metrics,
      thresholds: verdicts.map(({ threshold, actual, passed }) => ({
        threshold: threshold.source,
        actual,
        passed,
      })),
      report: reportUrl,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(formatSummary(summary, verdicts, reportUrl));
  }
  if (verdicts.some((verdict) => !verdict.passed)) return EXIT.thresholdFailed;
  return summary.state === 'completed' ? EXIT.ok : EXIT.runNotCompleted;
}

/** Reads the run's events until `end`, answering its last progress. */
async function untilEnd(
  api: PipelineApi,
  runId: string,
  onProgress: (progress: RunProgress) => void,
): Promise<RunProgress> {
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const message of api.progress(runId)) {
        if (message.type === 'end') return message.progress;
        onProgress(message.progress);
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.usage || attempt >= RECONNECTS) throw error;
    }
    if (attempt >= RECONNECTS)
      throw new ApiError(`the progress of run ${runId} stopped before the run ended`);
    await sleep(RECONNECT_DELAY_MS);
  }
}
