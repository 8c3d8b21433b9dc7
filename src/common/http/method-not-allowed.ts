import type { FastifyInstance } from 'fastify';
import type { ServedRoutes } from './served-routes.js';

/**
 * A request that matched no route but whose path is served with other methods gets 405 with
 * `Allow`, not 404. Fastify marks such a request `is404` before its `onRequest` hooks run.
 */
export function answerMethodNotAllowed(instance: FastifyInstance, routes: ServedRoutes): void {
  instance.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const allowed = routes.methodsOf(request.url.split('?', 1)[0]);
    if (allowed.length === 0) return;
    await reply
      .code(405)
      .header('Allow', allowed.join(', '))
      .send({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `Cannot ${request.method} ${request.url.split('?', 1)[0]}: allowed ${allowed.join(', ')}`,
      });
  });
}
