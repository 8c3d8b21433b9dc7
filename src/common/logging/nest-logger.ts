import {
  Inject,
  Module,
  RequestMethod,
  type DynamicModule,
  type LoggerService,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { TOKEN_QUERY } from '../http/bearer-token.js';

/** A token given in a URL (`?access_token=`, for browsers) never reaches the log. */
const withoutToken = (url: string): string =>
  url.includes(`${TOKEN_QUERY}=`)
    ? url.replace(new RegExp(`([?&]${TOKEN_QUERY}=)[^&]*`, 'g'), '$1***')
    : url;

/** Probes come every few seconds: logging each would bury the lines that matter. */
const QUIET_PATHS = /^\/(health\/|metrics)/;

/**
 * A Nest `LoggerService` over the process's pino logger, built outside any module: each
 * application context of the process (the client's, and one per listener) is given the same one,
 * so the contexts never replace each other's logger.
 */
export const nestLoggerOver = (pino: Pino): LoggerService =>
  new Logger(new PinoLogger({ pinoHttp: { logger: pino } }), {});

const REQUEST_LOGGER = Symbol('pino-http middleware');

/**
 * pino-http's own middleware, not nestjs-pino's `LoggerModule`: that one runs every request in an
 * AsyncLocalStorage context, which on Node 20 turns promise hooks on for the whole process, and
 * hands the context to everything the request starts. A run is started by a request, so every
 * promise of every task paid for it: a monolith ran 100×1000 in 9.5–10.4 s with it, 5.9–7.8 s
 * without (docs/NEST12-NOTES.md).
 */
@Module({})
class RequestLogModule implements NestModule {
  constructor(@Inject(REQUEST_LOGGER) private readonly middleware: HttpLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    // On Fastify the middleware sees no request unless its routes are `{*splat}`.
    consumer.apply(this.middleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}

/** One line per HTTP request (method, path, status, time), for a context that serves HTTP. */
export const requestLogging = (pino: Pino): DynamicModule => ({
  module: RequestLogModule,
  providers: [
    {
      provide: REQUEST_LOGGER,
      useValue: pinoHttp<IncomingMessage, ServerResponse>({
        logger: pino,
        autoLogging: {
          // Fastify's middleware layer strips the matched prefix from `url` while it runs.
          ignore: (request) =>
            QUIET_PATHS.test(
              (request as { originalUrl?: string }).originalUrl ?? request.url ?? '',
            ),
        },
        // One line that reads on its own: `GET /runs 200 (3 ms)`; JSON keeps the fields too.
        customSuccessMessage: (request, response, ms) =>
          `${request.method} ${withoutToken((request as { originalUrl?: string }).originalUrl ?? request.url ?? '')} ${response.statusCode} (${Math.round(ms)} ms)`,
        // A request line says what was asked and answered, not every header.
        serializers: {
          req: (request: { method?: string; url?: string }) => ({
            method: request.method,
            url: request.url === undefined ? undefined : withoutToken(request.url),
          }),
          res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
        },
      }),
    },
  ],
});
