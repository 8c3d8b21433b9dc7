import { RequestMethod, type DynamicModule, type LoggerService } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';

/** Probes come every few seconds: logging each would bury the lines that matter. */
const QUIET_PATHS = /^\/(health\/|metrics)/;

/**
 * nestjs-pino builds one pino-http instance per process, from the parameters of whoever asks
 * first (a logger, or the request middleware): both must be given the same ones.
 */
const params = (pino: Pino): Params => ({
  pinoHttp: {
    logger: pino,
    autoLogging: {
      // Fastify's middleware layer strips the matched prefix from `url` while it runs.
      ignore: (request) =>
        QUIET_PATHS.test((request as { originalUrl?: string }).originalUrl ?? request.url ?? ''),
    },
    // A request line says what was asked and answered, not every header.
    serializers: {
      req: (request: { method?: string; url?: string }) => ({
        method: request.method,
        url: request.url,
      }),
      res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
    },
  },
  // On Fastify the middleware sees no request unless its routes are `{*splat}`.
  forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
});

/**
 * A Nest `LoggerService` over the process's pino logger, built outside any module: each
 * application context of the process (the client's, and one per listener) is given the same one,
 * so the contexts never replace each other's logger.
 */
export const nestLoggerOver = (pino: Pino): LoggerService =>
  new Logger(new PinoLogger(params(pino)), {});

/** One line per HTTP request (method, path, status, time), for a context that serves HTTP. */
export const requestLogging = (pino: Pino): DynamicModule => LoggerModule.forRoot(params(pino));
