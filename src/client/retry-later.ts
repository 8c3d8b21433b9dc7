import { HttpException, HttpStatus } from '@nestjs/common';

/** An answer that says when to come back: `Retry-After`, in seconds, beside Nest's error body. */
export class RetryLaterException extends HttpException {
  constructor(
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    error: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: status, error, message }, status);
  }
}

/** Seconds a caller waits for a client that stops: a supervisor starts it again about then. */
const RESTART_SECONDS = 5;

/**
 * 503 with `Retry-After`: the client is stopping. A run it had taken goes on in its next life
 * (the journal keeps it); the message says what was on disk as it answered.
 */
export class ClientStoppingException extends RetryLaterException {
  constructor(message: string) {
    super(HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', message, RESTART_SECONDS);
  }
}
