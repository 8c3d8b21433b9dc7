import { Logger } from '@nestjs/common';
import { MESSAGES } from '@nestjs/core/internal';
import { RpcException } from '@nestjs/microservices';
import { briefly } from '../briefly.js';
import type { BatchAnswer, HandlerError, ItemAnswer } from '../contracts/messages.js';
import { ThrottledLog } from '../throttled-log.js';

const failures = new ThrottledLog(new Logger('RpcExceptionsHandler'), 'error');

/**
 * Answers a `Batch` item by item, as single requests would have been answered: `handle`'s answer,
 * or its error in Nest's RPC error shape (a refusal for now stays one, so its sender waits and
 * sends that item again). Items are handled concurrently; the answer keeps the batch's order.
 */
export async function answerEach<I, A>(
  items: readonly I[],
  handle: (item: I) => Promise<A>,
): Promise<BatchAnswer<A>> {
  const answers = await Promise.all(
    items.map((item) =>
      handle(item).then(
        (ok): ItemAnswer<A> => ({ ok }),
        (error: unknown): ItemAnswer<A> => ({ error: asHandlerError(error) }),
      ),
    ),
  );
  return { answers };
}

/** What Nest's RPC exception filter would have sent for `error` (and logged, throttled). */
function asHandlerError(error: unknown): HandlerError {
  if (error instanceof RpcException) {
    const shape = error.getError();
    return typeof shape === 'object' && shape !== null
      ? (shape as HandlerError)
      : { status: 'error', message: String(shape) };
  }
  failures.report(`a handler failed: ${briefly(error)}`);
  return { status: 'error', message: MESSAGES.UNKNOWN_EXCEPTION_MESSAGE };
}
