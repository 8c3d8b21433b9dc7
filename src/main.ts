import { Logger } from '@nestjs/common';
import { InvalidSettingsError, loadSettings } from './common/settings/environment.js';
import { startSystem } from './system.js';

/**
 * Entry point: `MODULES` (default all four) decides which modules this process runs.
 * SIGINT/SIGTERM closes them in order, flushing every file; a second signal ends the process at once.
 */
async function main(): Promise<void> {
  const logger = new Logger('Main');
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (!(error instanceof InvalidSettingsError)) throw error;
    logger.error(error.message);
    process.exitCode = 1;
    return;
  }
  const system = await startSystem(settings);
  const stop = (signal: NodeJS.Signals): void => {
    logger.log(`${signal}: stopping`);
    system.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
