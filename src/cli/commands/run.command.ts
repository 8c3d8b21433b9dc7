import { Command } from 'commander';
import { follow } from '../follow.js';
import {
  followOptionsOf,
  nonNegative,
  positiveInt,
  withFollowOptions,
  withUrl,
  type FollowFlags,
  apiOf,
} from '../options.js';

interface RunFlags extends FollowFlags {
  readonly connections: number;
  readonly values: number;
  readonly delay: number;
  readonly retryFor: number;
}

/** `run`: starts a run over HTTP and follows it to its summary. */
export const runCommand = (done: (code: number) => void): Command =>
  withFollowOptions(
    withUrl(
      new Command('run')
        .description('start a run, show its progress, and end with its summary and thresholds')
        .option('-c, --connections <n>', 'connections (connection_count)', positiveInt, 10)
        .option('-n, --values <n>', 'tasks per connection (connection_value)', positiveInt, 10)
        .option(
          '-d, --delay <s>',
          'largest processing delay, seconds (delay_range)',
          nonNegative,
          5,
        )
        .option(
          '--retry-for <s>',
          'while the app is busy or restarting (429 or 503 with Retry-After), wait as it says ' +
            'and ask again, waiting this many seconds in all at most (0: not at all)',
          nonNegative,
          300,
        ),
    ),
  ).action(async (flags: RunFlags) => {
    const api = apiOf(flags);
    const run = await api.startWhenAdmitted(flags, {
      forMs: flags.retryFor * 1000,
      onWait: (seconds, reason) =>
        process.stderr.write(`${reason}\nasking again in ${seconds} s (Retry-After)\n`),
    });
    process.stderr.write(
      `run ${run.runId}: ${flags.connections}×${flags.values} tasks, delay_range ${flags.delay} s\n`,
    );
    done(await follow(api, run.runId, followOptionsOf(flags)));
  });
