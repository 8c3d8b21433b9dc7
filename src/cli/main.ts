import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ApiError } from './api.js';
import { runCommand } from './commands/run.command.js';
import { runsCommand } from './commands/runs.command.js';
import { watchCommand } from './commands/watch.command.js';
import { EXIT } from './follow.js';

/** The package's version: `dist/cli/main.js` and `src/cli/main.ts` both sit two folders down. */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/**
 * The `ordered-pipeline` command line: `run`, `watch <runId>`, `runs`. It talks to the client's
 * HTTP API only (Node's fetch), so it starts fast and needs nothing of Nest.
 */
async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const done = (exitCode: number): void => {
    code = exitCode;
  };
  const program = new Command('ordered-pipeline')
    .description('start and watch runs of the ordered pipeline, k6-style')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError()
    .addCommand(runCommand(done))
    .addCommand(watchCommand(done))
    .addCommand(runsCommand(done));
  // Subcommands built apart inherit nothing: each throws instead of exiting, as the program does.
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0; a bad command line with commander's 1.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ApiError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.usage ? EXIT.usage : EXIT.runNotCompleted;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv);
