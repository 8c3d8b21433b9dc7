import { pino, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormatName, LogLevelName } from '../settings/settings.js';

/** LOG_LEVEL keeps its Nest meaning; pino calls `log` info and `verbose` trace. */
const PINO_LEVELS: Record<LogLevelName, Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * What Nest says about itself while a context starts (a line per module, route and listener):
 * debug, so that the first line of a process at LOG_LEVEL=log is the one that says what listens
 * where.
 */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
]);

const INFO = 30;

export interface LogOptions {
  readonly level: LogLevelName;
  readonly format: LogFormatName;
  /** Whether stdout is a terminal: `auto` is pretty there and JSON anywhere else. */
  readonly terminal: boolean;
  /** Where the lines go (tests); stdout by default. */
  readonly destination?: NodeJS.WritableStream;
}

/** The process's one pino logger: JSON lines, or readable lines (colours only in a terminal). */
export function createPinoLogger(options: LogOptions): Logger {
  const readable = options.format === 'pretty' || (options.format === 'auto' && options.terminal);
  const destination = readable
    ? pretty({
        colorize: options.terminal,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        // A request's fields are in its message already (`GET /runs 200 (3 ms)`): one line each.
        ignore: 'pid,hostname,context,req,res,responseTime',
        messageFormat: '{if context}[{context}] {end}{msg}',
        destination: options.destination ?? 1,
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: PINO_LEVELS[options.level],
      hooks: {
        logMethod(args, method, level) {
          const [first] = args as unknown[];
          const context =
            typeof first === 'object' && first !== null && 'context' in first
              ? first.context
              : undefined;
          if (level === INFO && typeof context === 'string' && START_UP_CONTEXTS.has(context)) {
            if (this.isLevelEnabled('debug')) this.debug(...args);
            return;
          }
          method.apply(this, args);
        },
      },
    },
    destination,
  );
}
