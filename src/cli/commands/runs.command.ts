import { Command } from 'commander';
import { positiveInt, withUrl, apiOf, type ApiFlags } from '../options.js';

interface RunsFlags extends ApiFlags {
  readonly limit: number;
  readonly json?: boolean;
}

/** `runs`: the runs the client remembers, newest first (the operator API's `GET /runs`). */
export const runsCommand = (done: (code: number) => void): Command =>
  withUrl(
    new Command('runs')
      .description('list the runs the client remembers, newest first')
      .option('-l, --limit <n>', 'at most this many', positiveInt, 20)
      .option('--json', 'print the list as JSON'),
  ).action(async (flags: RunsFlags) => {
    const list = await apiOf(flags).list(flags.limit);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } else {
      const rows = list.runs.map(
        (run) =>
          `${run.runId.padEnd(36)} ${run.state.padEnd(11)} ` +
          `${`${run.written}/${run.total}`.padStart(17)} ${(run.elapsedMs / 1000).toFixed(1).padStart(9)} s`,
      );
      process.stdout.write(
        [
          `${'run'.padEnd(36)} ${'state'.padEnd(11)} ${'written/total'.padStart(17)} ${'elapsed'.padStart(11)}`,
          ...rows,
          `${list.runs.length} of ${list.total} run(s)`,
        ].join('\n') + '\n',
      );
    }
    done(0);
  });
