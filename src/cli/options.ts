import { InvalidArgumentError, type Command } from 'commander';
import { PipelineApi } from './api.js';
import type { FollowOptions } from './follow.js';
import { metricsHelp } from './metrics.js';
import { parseThreshold, ThresholdSyntaxError, type Threshold } from './thresholds.js';

export const DEFAULT_URL = process.env.ORDERED_PIPELINE_URL ?? 'http://127.0.0.1:5000';

/** Where the API is, and the token it may ask for. */
export interface ApiFlags {
  readonly url: string;
  readonly token?: string;
}

/** The API the flags name; the token from `--token`, else ORDERED_PIPELINE_TOKEN. */
export const apiOf = (flags: ApiFlags): PipelineApi =>
  new PipelineApi(flags.url, flags.token ?? process.env.ORDERED_PIPELINE_TOKEN);

export interface FollowFlags extends ApiFlags {
  readonly threshold?: Threshold[];
  readonly json?: boolean;
  readonly progressEvery: number;
}

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('not an integer ≥ 1');
  return value;
}

export function nonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('not a number ≥ 0');
  return value;
}

function threshold(text: string, earlier: Threshold[] = []): Threshold[] {
  try {
    return [...earlier, parseThreshold(text)];
  } catch (error) {
    if (error instanceof ThresholdSyntaxError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export const withUrl = (command: Command): Command =>
  command
    .option('-u, --url <url>', 'the client HTTP API (or ORDERED_PIPELINE_URL)', DEFAULT_URL)
    .option('--token <token>', "the API's bearer token, API_TOKEN (or ORDERED_PIPELINE_TOKEN)");

export const withFollowOptions = (command: Command): Command =>
  command
    .option(
      '-t, --threshold <expr>',
      'a pass/fail criterion, repeatable: <metric><op><number>, op one of > >= < <= == != ' +
        '(e.g. tasks_per_second>5000, failed==0, p99_ack_ms<200)',
      threshold,
    )
    .option('--json', 'print the summary as JSON on stdout')
    .option(
      '--progress-every <s>',
      'without a terminal: a progress line this often, seconds',
      nonNegative,
      2,
    )
    .addHelpText(
      'after',
      `\nMetrics for --threshold:\n${metricsHelp()}\n\n` +
        'Exit code: 0 when the run completed and every threshold passed, 99 when a threshold ' +
        'failed, 1 when the run did not complete (or the app could not be reached), 2 for a ' +
        'bad command line.',
    );

export const followOptionsOf = (flags: FollowFlags): FollowOptions => ({
  thresholds: flags.threshold ?? [],
  json: flags.json ?? false,
  progressEveryMs: flags.progressEvery * 1000,
});
