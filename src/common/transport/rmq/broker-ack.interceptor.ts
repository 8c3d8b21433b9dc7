import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RmqContext, RpcException } from '@nestjs/microservices';
import { concat, defer, EMPTY, Observable, tap } from 'rxjs';
import { allDone, collectMessageWork } from '../../delivery/message-work.js';

/**
 * Acknowledges a RabbitMQ message once all its work is done: the handler's answer has gone out
 * and whatever work the handler declared for the message (`messageFinishesWith`: a processor's
 * tasks until their results are with the saver) has finished for good, so a consumer that dies
 * before that leaves the whole message to be delivered again. A message the contract refuses is
 * dropped; one whose handling or work failed is requeued. Does nothing on other transports, so
 * handlers never see a broker's context.
 */
@Injectable()
export class BrokerAckInterceptor implements NestInterceptor {
  private readonly logger = new Logger(BrokerAckInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = context.switchToRpc().getContext<unknown>();
    if (!(rpc instanceof RmqContext)) return next.handle();
    const channel = rpc.getChannelRef() as {
      ack(message: unknown): void;
      nack(message: unknown, allUpTo: boolean, requeue: boolean): void;
    };
    const message = rpc.getMessage();
    let settled = false;
    const settle = (how: () => void) => {
      if (settled) return;
      settled = true;
      try {
        how();
      } catch (error) {
        // The channel closed meanwhile: the broker delivers the message again on its own.
        this.logger.warn(`could not settle a message on ${rpc.getPattern()}: ${String(error)}`);
      }
    };
    const work: Promise<boolean>[] = [];
    // The handler starts on subscription, inside the collection, so its declared work lands here.
    const answered = new Observable<unknown>((subscriber) =>
      collectMessageWork(work, () => next.handle().subscribe(subscriber)),
    );
    const finished = defer(async () => {
      if (!(await allDone(work))) throw new Error(`${rpc.getPattern()}: its work did not finish`);
    });
    return concat(
      answered,
      defer(() => (work.length > 0 ? finished : EMPTY)),
    ).pipe(
      tap({
        complete: () => settle(() => channel.ack(message)),
        error: (error: unknown) =>
          settle(() => channel.nack(message, false, !(error instanceof RpcException))),
      }),
    );
  }
}
