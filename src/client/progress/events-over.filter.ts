import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Thrown by a run's events route when its client has already received the run's `end`: there is
 * nothing more to send, ever. An `@Sse()` handler cannot choose its status (Nest answers 200 and
 * streams whatever it returns), but what it throws goes through the filters first.
 */
export class EventsOverException extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} has ended and its client has its end event`);
  }
}

/** `204 No Content`, no body: the EventSource standard's answer that stops reconnecting. */
@Catch(EventsOverException)
export class EventsOverFilter implements ExceptionFilter<EventsOverException> {
  catch(_exception: EventsOverException, host: ArgumentsHost): void {
    void host.switchToHttp().getResponse<FastifyReply>().status(HttpStatus.NO_CONTENT).send();
  }
}
