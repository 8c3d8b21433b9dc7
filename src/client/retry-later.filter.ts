import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RetryLaterException } from './retry-later.js';

/** A 429 or 503 says when to come back: `Retry-After`, in seconds, beside Nest's usual error body. */
@Catch(RetryLaterException)
export class RetryLaterFilter implements ExceptionFilter<RetryLaterException> {
  catch(exception: RetryLaterException, host: ArgumentsHost): void {
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('Retry-After', String(exception.retryAfterSeconds))
      .status(exception.getStatus())
      .send(exception.getResponse());
  }
}
