import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BearerToken, givenToken } from '../common/http/bearer-token.js';
import { EarlyAnswers } from '../common/http/early-answers.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { PipelineMetrics } from '../ops/pipeline-metrics.js';
import type { TooManyRunsException } from './admission.js';
import { RefusalPacer } from './refusal-pacer.js';
import { RunsService } from './runs.service.js';

/** Refusals answered at once each second; the others are answered at the end of that second. */
const PROMPT_REFUSALS_PER_SECOND = 100;
/** Refusals waiting for the end of their second, at most (each holds one open request). */
const HELD_REFUSALS_MAX = 10_000;

/** The routes that start a run: `GET /` (the original API) and `POST /runs`. */
const startsRun = (request: FastifyRequest): boolean => {
  const route = request.routeOptions.url;
  return (
    (route === '/' && request.method === 'GET') || (route === '/runs' && request.method === 'POST')
  );
};

/**
 * A request to start a run while the queue is full is refused (429) before anything else runs:
 * before its body is read, before validation, before a run exists, before its request line is
 * logged (one throttled line counts them instead). The answer is the one `RunsService.start` would
 * give a moment later: same status, header and body. A flood of them is paced (`RefusalPacer`):
 * past 100 in a second, a refusal is answered at the end of that second, so clients that ask again
 * at once, ignoring `Retry-After`, leave the process to the runs it accepted.
 */
@Injectable()
export class StartRefusal implements OnModuleInit, BeforeApplicationShutdown {
  private readonly refusals = new ThrottledLog(new Logger(StartRefusal.name), 'warn', 10_000);
  private readonly pacer = new RefusalPacer(PROMPT_REFUSALS_PER_SECOND, HELD_REFUSALS_MAX);

  /** With API_TOKEN: only a caller who gives it learns the queue is full (the others get 401). */
  private readonly token?: BearerToken;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly runs: RunsService,
    private readonly metrics: PipelineMetrics,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.token = BearerToken.of(settings.access.apiToken, 'API_TOKEN');
  }

  onModuleInit(): void {
    const refused = this.metrics.runsRefused;
    const early = EarlyAnswers.of(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
    early.add((request, reply) => {
      const refusal = startsRun(request) ? this.runs.refusalForAnyRun() : undefined;
      if (!refusal || (this.token && !this.token.accepts(givenToken(request)))) return false;
      refused.inc();
      this.refusals.report(`refused a run: ${refusal.message}`);
      this.pacer.pace(() => answer(reply, refusal));
      return true;
    });
  }

  /** A stopping client answers the refusals it holds. */
  beforeApplicationShutdown(): void {
    this.pacer.flush();
  }
}

function answer(reply: FastifyReply, refusal: TooManyRunsException): void {
  // The caller may have given up while its refusal waited.
  if (reply.raw.destroyed || reply.sent) return;
  void reply
    .code(refusal.getStatus())
    .header('Retry-After', String(refusal.retryAfterSeconds))
    .send(refusal.getResponse());
}
