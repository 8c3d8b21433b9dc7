import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EarlyAnswers } from './early-answers.js';
import { answerMethodNotAllowed } from './method-not-allowed.js';
import type { ServedRoutes } from './served-routes.js';

/**
 * A Fastify adapter that knows its routes, gives its `EarlyAnswers` before anything else runs, and
 * answers a wrong method on a known path with 405.
 */
export function fastifyWithRoutes(routes: ServedRoutes): FastifyAdapter {
  const adapter = new FastifyAdapter();
  routes.watch(adapter.getInstance());
  EarlyAnswers.of(adapter.getInstance());
  answerMethodNotAllowed(adapter.getInstance(), routes);
  return adapter;
}
