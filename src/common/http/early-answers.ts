import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Answers `request` through `reply` and says true, or leaves it to the app and says false. */
export type EarlyAnswer = (request: FastifyRequest, reply: FastifyReply) => boolean;

const ofInstance = new WeakMap<FastifyInstance, EarlyAnswers>();

/**
 * Answers given in a Fastify instance's first `onRequest` hook, before Nest's middleware (the
 * request log), body parsing, pipes or handlers: what a flood of requests must cost next to
 * nothing. The adapter installs it when it is made, before Nest registers anything
 * (`fastifyWithRoutes`); a module adds its answers later through `EarlyAnswers.of`.
 */
export class EarlyAnswers {
  private readonly answers: EarlyAnswer[] = [];

  private constructor() {}

  /** The early answers of `instance`, installed now if they were not (then after what is there). */
  static of(instance: FastifyInstance): EarlyAnswers {
    let early = ofInstance.get(instance);
    if (!early) {
      early = new EarlyAnswers();
      ofInstance.set(instance, early);
      const answers = early.answers;
      instance.addHook('onRequest', (request, reply, done) => {
        for (const answer of answers) if (answer(request, reply)) return;
        done();
      });
    }
    return early;
  }

  add(answer: EarlyAnswer): void {
    this.answers.push(answer);
  }
}
