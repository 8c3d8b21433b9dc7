import { Logger } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { givesHeapGrowing, HEAP_GROWING_FLAG } from './common/heap-flags.js';
import { createPinoLogger } from './common/logging/pino-logger.js';
import { nestLoggerOver } from './common/logging/nest-logger.js';
import { InvalidSettingsError, loadSettings } from './common/settings/environment.js';
import type { Settings } from './common/settings/settings.js';
import { startSystem, type RunningSystem } from './system.js';

const logger = new Logger('Main');

// Under a heap cap below 256 MB (README, "Memory") V8 lets the heap grow only 10 % past what a full
// collection kept before it marks the whole heap again: a split process did a full collection about
// every second, a third of its CPU. The cap still bounds the heap. Node refuses this flag in
// NODE_OPTIONS, so it is set here; one given to node on its command line wins.
if (!givesHeapGrowing(process.execArgv)) setFlagsFromString(HEAP_GROWING_FLAG);

/**
 * Entry point: `MODULES` (default all four) decides which modules this process runs.
 * SIGINT/SIGTERM closes them in order, flushing every file; a second signal ends the process at once.
 * Everything is logged through one pino logger: JSON lines unless stdout is a terminal.
 */
async function main(): Promise<void> {
  const terminal = process.stdout.isTTY;
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (!(error instanceof InvalidSettingsError)) throw error;
    // The settings are bad, LOG_LEVEL and LOG_FORMAT perhaps too: their defaults say why.
    Logger.overrideLogger(
      nestLoggerOver(createPinoLogger({ level: 'log', format: 'auto', terminal })),
    );
    logger.error(error.message);
    process.exit(1);
  }
  const pino = createPinoLogger({
    level: settings.logLevels[settings.logLevels.length - 1],
    format: settings.logFormat,
    terminal,
  });
  Logger.overrideLogger(nestLoggerOver(pino));

  // Installed before start-up, so a signal that comes while the modules start still stops them cleanly.
  let system: Promise<RunningSystem | undefined> = Promise.resolve(undefined);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting at once; files keep whole lines, runs can be repaired`);
      process.exit(130);
    }
    stopping = true;
    logger.log(
      `${signal}: stopping; no new task leaves, work in flight gets ${settings.shutdownTimeoutMs} ms ` +
        `(SHUTDOWN_TIMEOUT_MS); a second signal ends the process at once`,
    );
    // Whatever is still running then, the process ends: a stop is bounded in time.
    setTimeout(() => {
      logger.error(`still stopping after SHUTDOWN_TIMEOUT_MS + 1 s: exiting now`);
      process.exit(1);
    }, settings.shutdownTimeoutMs + 1000).unref();
    system
      .then((running) => running?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // An unhandled rejection ends the process, as Node's default would, but through the log first
  // (Node would print it on stderr, outside the JSON lines). The one cause seen — Nest's RabbitMQ
  // listener dropping the promise of each reply, which amqp-connection-manager rejects when the
  // connection breaks or the listener closes before the reply is out — is handled where it
  // happens (`RmqServer`, rmq-transport.ts), so nothing is known to reach this on purpose.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error(
      `unhandled rejection, exiting: ${reason instanceof Error ? reason.stack : String(reason)}`,
    );
    process.exit(1);
  });

  system = startSystem(settings, { pino });
  try {
    await system;
  } catch (error) {
    // Nest has logged the cause (a port in use, a peer address that does not resolve, …).
    logger.error(`could not start ${settings.modules.join(', ')}: ${String(error)}`);
    process.exit(1);
  }
}

await main();
