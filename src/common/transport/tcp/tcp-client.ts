import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { briefly } from '../../briefly.js';
import { ThrottledLog } from '../../throttled-log.js';

/** One throttle for every TCP client of the process: a peer that goes away resets all of them at once. */
const connectionErrors = new ThrottledLog(new Logger('TcpClient'), 'warn');

/**
 * Nest's TCP client, logging its connections' errors through one throttle. Nest logs every socket
 * error of every client as an ERROR with a stack: a server that stops or restarts resets each of a
 * run's connections, up to a thousand lines at once. What waited on the connection fails with the
 * error anyway (a run says so in `lastError`, and retries it).
 */
export class ThrottledTcpClient extends ClientTCP {
  override handleError(error: unknown): void {
    connectionErrors.report(`a connection to ${this.host}:${this.port} failed: ${briefly(error)}`);
  }
}
