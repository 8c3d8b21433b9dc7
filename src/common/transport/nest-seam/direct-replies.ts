import type { BaseRpcContext, WritePacket } from '@nestjs/microservices';
import { isObservable, Observable } from 'rxjs';

/** The answer of a handler that gave a value: still an Observable for whoever subscribes. */
class ValueAnswer extends Observable<unknown> {
  constructor(readonly value: unknown) {
    super((subscriber) => {
      subscriber.next(value);
      subscriber.complete();
    });
  }
}

type Respond = (packet: WritePacket) => Promise<unknown> | void;

/** What of Nest's `Server` this uses (some of it protected there, so it is named here). */
interface NestRequestHandling {
  readonly logger: { error(error: unknown): void };
  readonly onProcessingStartHook: unknown;
  readonly onProcessingEndHook?: unknown;
  transformToObservable(result: unknown): Observable<unknown>;
  handleRequest(
    context: BaseRpcContext,
    produce: () => Promise<Observable<unknown>>,
    respond: Respond,
  ): void;
}

// A mixin's base must be taken as a constructor of any arguments (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyConstructor = new (...args: any[]) => object;

/**
 * Lets a Nest server answer a request whose handler gives a value (every handler here, unless it
 * fails) at once, with the packet Nest would send: `{ response, isDisposed: true }`. For every
 * request Nest wraps the value in an Observable pipeline (`of`, then `send`'s catchError, finalize
 * and subscription), opens a processing-hooks span and queues the reply for the next tick: half of
 * a TCP listener's CPU per message in this system. Streams, errors (the Observable an exception
 * filter makes) and interceptors' Observables go Nest's way, and so does every request while
 * processing hooks are set. Nest 12.1.1's servers all answer through `handleRequest` with
 * `transformToObservable` of the handler's result, which is what this relies on (NEST12-NOTES).
 */
export function withDirectReplies<T extends AnyConstructor>(Base: T): T {
  const NestServer = Base as unknown as new (...args: unknown[]) => NestRequestHandling;

  class DirectReplyServer extends NestServer {
    /** Nest's own start hook (it only calls `done`): any other one is a hook set by the user. */
    private readonly nestStartHook = this.onProcessingStartHook;

    override transformToObservable(result: unknown): Observable<unknown> {
      return result instanceof Promise || isObservable(result)
        ? super.transformToObservable(result)
        : new ValueAnswer(result);
    }

    override handleRequest(
      context: BaseRpcContext,
      produce: () => Promise<Observable<unknown>>,
      respond: Respond,
    ): void {
      if (this.onProcessingStartHook !== this.nestStartHook || this.onProcessingEndHook)
        return super.handleRequest(context, produce, respond);
      // Nest's handleRequest is typed void and returns the promise its caller passes on (a
      // rejected produce reaches the transport's error handler): so does this one.
      return produce().then(async (answer) => {
        if (!(answer instanceof ValueAnswer))
          return super.handleRequest(context, () => Promise.resolve(answer), respond);
        try {
          await respond({ response: answer.value, isDisposed: true });
        } catch (error) {
          // As Nest's `send`: a reply that cannot go out is logged (its caller times out).
          this.logger.error(error);
        }
      }) as unknown as void;
    }
  }
  return DirectReplyServer as unknown as T;
}
