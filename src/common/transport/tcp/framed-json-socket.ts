import type { Type } from '@nestjs/common';
import { TcpSocket } from '@nestjs/microservices';
import { IncompleteMessageTimeoutException } from '@nestjs/microservices/errors/incomplete-message-timeout.exception.js';
import { MaxPacketLengthExceededException } from '@nestjs/microservices/errors/max-packet-length-exceeded.exception.js';
import { MaxSendBufferSizeExceededException } from '@nestjs/microservices/errors/max-send-buffer-size-exceeded.exception.js';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { briefly } from '../../briefly.js';
import { FrameDecoder } from './frame-decoder.js';

/** What one end of a TCP connection accepts from the other. */
export interface FramingLimits {
  /** Longest frame read from the peer, as its header counts (characters of the JSON text). */
  readonly maxFrameLength: number;
  /** How long the peer may leave a frame unfinished before the connection is dropped. */
  readonly incompleteFrameTimeoutMs: number;
}

/** Bytes queued for a peer that does not read them before it is dropped: Nest's default, as before. */
const MAX_SEND_BUFFER = 128 * 1024 * 1024;

/**
 * Nest's TCP framing (`<length>#<json>`, compatible with `JsonSocket` on the other end) with the
 * limits this system needs, for both listeners and clients:
 *
 * - Reading goes through `FrameDecoder`: linear in what arrives, the announced length checked
 *   against `maxFrameLength` before the body comes. Nest's `maxBufferSize` cannot do this: Nest
 *   hands its framing options only to `JsonSocket` itself (never to a `socketClass` of ours), and
 *   its reader rescans the whole buffer for `#` on every chunk.
 * - A peer that stops in the middle of a frame is dropped after `incompleteFrameTimeoutMs` (like
 *   Nest's `incompleteMessageTimeout`); a peer idle between whole frames keeps its connection.
 * - A frame over the limit, a frame left unfinished, or replies piling up for a peer that does
 *   not read them: the connection is destroyed at once. A malformed frame (bad header, bad JSON)
 *   ends it as Nest does. Either way the reason is emitted as the socket's `error`, cut short,
 *   and nothing more is read from that connection.
 * - Writes are gathered per tick: the first message of a tick corks the socket and the next tick
 *   uncorks it, so the messages of one tick leave in one write (a socket write per message was
 *   18 % of the CPU in a profile).
 * - Reading stops while the peer does not take our writes (Nest's backpressure, kept).
 *
 * Nest constructs a `socketClass` with the socket alone: `framedSocketClass` binds the limits.
 */
export class FramedJsonSocket extends TcpSocket {
  private readonly decoder: FrameDecoder;
  private readonly text = new StringDecoder('utf8');
  private corked = false;
  private failed = false;
  private backpressured = false;
  private incompleteFrameTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    private readonly limits: FramingLimits,
  ) {
    super(socket);
    this.decoder = new FrameDecoder(limits.maxFrameLength);
    socket.on('close', () => this.stopIncompleteFrameTimer());
  }

  protected override handleSend(message: unknown, callback?: (err?: unknown) => void): void {
    this.corkUntilNextTick();
    const json = JSON.stringify(message);
    const flushed = this.netSocket.write(`${json.length}#${json}`, 'utf-8', callback);
    if (!flushed) this.pauseReadingUntilDrained();
    const queued = this.netSocket.writableLength;
    if (queued > MAX_SEND_BUFFER) {
      this.handleDataError(new MaxSendBufferSizeExceededException(queued, MAX_SEND_BUFFER), {
        destroy: true,
      });
    }
  }

  protected override handleData(data: Buffer | string): void {
    if (this.failed) return;
    try {
      // The server's and client's message handlers are asynchronous: nothing they write can
      // back the socket up while one chunk is read, so a chunk is read whole.
      this.decoder.read(typeof data === 'string' ? data : this.text.write(data), (json) =>
        this.emitMessage(json),
      );
    } catch (error) {
      this.handleDataError(error, { destroy: error instanceof MaxPacketLengthExceededException });
      return;
    }
    this.watchIncompleteFrame();
  }

  /** Reports the reason (cut short: it may quote a whole frame) and closes; reads nothing more. */
  protected override handleDataError(error: unknown, { destroy = false } = {}): void {
    if (this.failed) return;
    this.failed = true;
    this.stopIncompleteFrameTimer();
    // Like Nest's TcpSocket: the reason goes out as the socket's 'error', which the server and
    // client of the transport listen to.
    this.netSocket.emit('error', briefly(error));
    if (destroy) {
      this.netSocket.destroy();
      return;
    }
    this.netSocket.end();
    // A peer that does not answer our end within the timeout is not waited for.
    setTimeout(() => this.netSocket.destroy(), this.limits.incompleteFrameTimeoutMs).unref();
  }

  private watchIncompleteFrame(): void {
    if (!this.decoder.inFrame) {
      this.stopIncompleteFrameTimer();
      return;
    }
    // Refreshed on every read: only a peer that stops sending in mid-frame is dropped.
    if (this.incompleteFrameTimer) {
      this.incompleteFrameTimer.refresh();
      return;
    }
    this.incompleteFrameTimer = setTimeout(() => {
      this.incompleteFrameTimer = undefined;
      this.handleDataError(
        new IncompleteMessageTimeoutException(
          this.decoder.held,
          this.limits.incompleteFrameTimeoutMs,
        ),
        { destroy: true },
      );
    }, this.limits.incompleteFrameTimeoutMs).unref();
  }

  private stopIncompleteFrameTimer(): void {
    clearTimeout(this.incompleteFrameTimer);
    this.incompleteFrameTimer = undefined;
  }

  private corkUntilNextTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.netSocket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.netSocket.uncork();
    });
  }

  private pauseReadingUntilDrained(): void {
    if (this.backpressured) return;
    this.backpressured = true;
    this.netSocket.pause();
    this.netSocket.once('drain', () => {
      this.backpressured = false;
      this.netSocket.resume();
    });
  }
}

const boundClasses = new Map<string, Type<TcpSocket>>();

/**
 * A `socketClass` for Nest's TCP options with `limits` bound. One class per distinct limits:
 * clients are made per connection, and a class each time would be a class per connection.
 */
export function framedSocketClass(limits: FramingLimits): Type<TcpSocket> {
  const key = `${limits.maxFrameLength}/${limits.incompleteFrameTimeoutMs}`;
  let bound = boundClasses.get(key);
  if (!bound) {
    bound = class extends FramedJsonSocket {
      constructor(socket: Socket) {
        super(socket, limits);
      }
    };
    boundClasses.set(key, bound);
  }
  return bound;
}
