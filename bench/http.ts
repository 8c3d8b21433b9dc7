import type { RunView } from '../src/common/contracts/http.js';
import { PipelineApi, type StartWait } from '../src/cli/api.js';
import { performance } from 'node:perf_hooks';

export interface RunShape {
  readonly connections: number;
  readonly values: number;
}

export const shapeName = ({ connections, values }: RunShape): string => `${connections}×${values}`;
export const totalOf = ({ connections, values }: RunShape): number => connections * values;

/** The system's API (the CLI's client) for a run of `shape`. */
export const requestOf = (shape: RunShape, delay: number) => ({ ...shape, delay });

export interface TimedRun {
  readonly view: RunView;
  /** From sending the GET to its answer, measured here. */
  readonly wallMs: number;
}

/** Starts a run through the HTTP API and times the answer (`wait=saved`: the file is complete). */
export async function runOverHttp(
  baseUrl: string,
  shape: RunShape,
  delayRange: number,
  wait: StartWait,
): Promise<TimedRun> {
  const started = performance.now();
  const view = await new PipelineApi(baseUrl).start(requestOf(shape, delayRange), wait);
  return { view, wallMs: performance.now() - started };
}

/** Throws unless the run completed with every task acknowledged. */
export function expectCompleted(view: RunView, what: string): void {
  if (view.state !== 'completed' || view.failed !== 0 || view.written !== view.total) {
    throw new Error(
      `${what}: the run did not complete cleanly: state ${view.state}, ${view.written}/${view.total} ` +
        `written, ${view.failed} failed${view.error ? `, ${view.error}` : ''}`,
    );
  }
}
