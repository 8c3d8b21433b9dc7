import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RmqContext, RpcException } from '@nestjs/microservices';
import { tap, type Observable } from 'rxjs';

/**
 * Acknowledges a RabbitMQ message once its handler has finished all its work (the handler's
 * observable completes), so a consumer that dies before that leaves the message to be delivered
 * again. A message the contract refuses is dropped; one whose handling failed is requeued.
 * Does nothing on other transports, so handlers never see a broker's context.
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
    return next.handle().pipe(
      tap({
        complete: () => settle(() => channel.ack(message)),
        error: (error: unknown) =>
          settle(() => channel.nack(message, false, !(error instanceof RpcException))),
      }),
    );
  }
}
