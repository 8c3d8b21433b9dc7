import { Catch, IntrinsicException, Logger } from '@nestjs/common';
import { MESSAGES } from '@nestjs/core/internal';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { briefly } from './briefly.js';
import { ThrottledLog } from './throttled-log.js';

/**
 * Nest's RPC exception handling with its one log line per failure put through a throttle.
 * Nest's `BaseRpcExceptionFilter` logs every error that is not an `RpcException` (a peer's refusal
 * passed on, a hop that timed out) as an ERROR with a stack, once per message: a peer that sends
 * such messages in a loop fills the log. Here the first one is logged, then at most one line per
 * second with a count. The caller's answer is Nest's, unchanged (`RpcException`s are Nest's path).
 * Registered as a global filter of each listener's context (APP_FILTER, in `system.ts`).
 */
@Catch()
export class ThrottledRpcExceptionFilter extends BaseRpcExceptionFilter {
  private readonly failures = new ThrottledLog(new Logger('RpcExceptionsHandler'), 'error');

  override handleUnknownError(exception: unknown, status: string): Observable<never> {
    if (!(exception instanceof IntrinsicException)) {
      this.failures.report(`a handler failed: ${briefly(exception)}`);
    }
    return throwError(() => ({ status, message: MESSAGES.UNKNOWN_EXCEPTION_MESSAGE }));
  }
}
