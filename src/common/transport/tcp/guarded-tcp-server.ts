import { Logger } from '@nestjs/common';
import {
  ServerTCP,
  type BaseRpcContext,
  type ReadPacket,
  type TcpOptions,
} from '@nestjs/microservices';
import { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js';
import type { Server as NetServer, Socket } from 'node:net';
import { briefly } from '../../briefly.js';
import { ThrottledLog } from '../../throttled-log.js';
import { withDirectReplies } from '../nest-seam/direct-replies.js';
import { withExactPatterns } from '../nest-seam/exact-patterns.js';

export type GuardedTcpOptions = Required<TcpOptions>['options'] & {
  /** Open connections this listener keeps; more are closed as they come. */
  readonly maxConnections: number;
};

/**
 * Nest's TCP listener (with the exact-pattern fast path and direct replies), hardened against what a remote peer
 * can send it:
 *
 * - at most `maxConnections` open connections, by `net.Server#maxConnections` (Node closes the
 *   ones beyond it as they come, and says so with a 'drop' event);
 * - every log line a peer can cause per connection or per message goes through a throttle (one
 *   line per second with a count): a broken frame or a connection error, which Nest logs as an
 *   `InvalidTcpDataReceptionException` with a stack each time; an event for a pattern nobody
 *   handles, which Nest logs as an error each time; a connection refused for the cap.
 *
 * The frame limits themselves are the socket's (`FramedJsonSocket`, given as `socketClass`).
 */
export class GuardedTcpServer extends withDirectReplies(withExactPatterns(ServerTCP)) {
  private readonly peerLogger = new Logger('TcpListener');
  private readonly peerFaults = new ThrottledLog(this.peerLogger, 'warn');
  private readonly refusedConnections = new ThrottledLog(this.peerLogger, 'warn');
  private readonly unknownEvents = new ThrottledLog(this.peerLogger, 'warn');
  private readonly failedHandshakes = new ThrottledLog(this.peerLogger, 'warn');

  private readonly backlog: number;

  constructor(options: GuardedTcpOptions) {
    super(options);
    this.backlog = options.maxConnections;
    const server = this.unwrap<NetServer>();
    server.maxConnections = options.maxConnections;
    // With TLS (mutual): a peer without a certificate TLS_CA signed never gets a handler.
    server.on('tlsClientError', (error: Error, socket: Socket) =>
      this.failedHandshakes.report(
        `refused a TLS connection from ${socket.remoteAddress}:${socket.remotePort}: ${briefly(error)}`,
      ),
    );
    server.on('drop', (peer) =>
      this.refusedConnections.report(
        `refused a connection from ${peer?.remoteAddress}:${peer?.remotePort}: ` +
          `${options.maxConnections} are open (TCP_MAX_CONNECTIONS)`,
      ),
    );
  }

  /**
   * Listens with a backlog of `maxConnections` (the kernel caps it at net.core.somaxconn) rather
   * than Node's 511: a client opening a thousand connections at once overflowed the accept queue,
   * and the kernel reset the connections it could not queue (ECONNRESET at the client).
   */
  override listen(callback: (error?: unknown) => void): void {
    const server = this.unwrap<NetServer>();
    const listen = server.listen.bind(server);
    const backlog = this.backlog;
    server.listen = ((port: number, host: string, done: () => void) =>
      listen({ port, host, backlog }, done)) as unknown as typeof server.listen;
    super.listen(callback);
  }

  override bindHandler(socket: Socket): void {
    super.bindHandler(socket);
    // The socket's 'error' carries the reason (Nest's own log of it, below, does not).
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('error', (reason: unknown) =>
      this.peerFaults.report(`closed the connection from ${peer}: ${briefly(reason)}`),
    );
  }

  protected override handleError(error: unknown): void {
    // Logged with its reason by the listener bindHandler adds.
    if (error instanceof InvalidTcpDataReceptionException) return;
    super.handleError(error as string);
  }

  override async handleEvent(
    pattern: string,
    packet: ReadPacket,
    context: BaseRpcContext,
  ): Promise<unknown> {
    if (this.getHandlerByPattern(pattern)) return super.handleEvent(pattern, packet, context);
    this.unknownEvents.report(`no handler for an event on pattern ${briefly(pattern, 100)}`);
  }
}
