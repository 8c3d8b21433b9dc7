import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TooManyRunsException } from './admission.js';

/** A 429 says when to come back: `Retry-After`, in seconds, beside Nest's usual error body. */
@Catch(TooManyRunsException)
export class TooManyRunsFilter implements ExceptionFilter<TooManyRunsException> {
  catch(exception: TooManyRunsException, host: ArgumentsHost): void {
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('Retry-After', String(exception.retryAfterSeconds))
      .status(exception.getStatus())
      .send(exception.getResponse());
  }
}
