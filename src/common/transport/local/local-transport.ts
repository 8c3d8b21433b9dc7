import {
  BaseRpcContext,
  ClientProxy,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import type { PeerRole } from '../../settings/settings.js';

/** The listeners of this process, by role: what `TRANSPORT=local` calls instead of a socket. */
const listeners = new Map<PeerRole, LocalServer>();

/**
 * In-process transport for the monolith: a request is a function call on the peer module's
 * listener in the same process, with Nest's handler pipeline (pipes, interceptors, filters) and
 * its reply protocol intact, but no socket and no serialization. Messages are shared, not copied:
 * the contracts are read-only data and no handler changes what it receives.
 */
export class LocalServer extends Server implements CustomTransportStrategy {
  constructor(readonly role: PeerRole) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    if (listeners.has(this.role)) {
      callback(new Error(`a local ${this.role} already listens in this process`));
      return;
    }
    listeners.set(this.role, this);
    callback();
  }

  close(): void {
    if (listeners.get(this.role) === this) listeners.delete(this.role);
  }

  on(): void {
    // No transport events: nothing connects or disconnects.
  }

  unwrap<T>(): T {
    return this as unknown as T;
  }

  /** Exact patterns first (see `withExactPatterns`): this runs for every message. */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  /** Runs the handler of `packet.pattern` and streams its answer to `respond`; answers a teardown. */
  request(packet: ReadPacket, respond: (reply: WritePacket) => void): () => void {
    const handler = this.getHandlerByPattern(packet.pattern as string);
    if (!handler) {
      respond({
        err: `There is no matching message handler defined in the local ${this.role}.`,
        isDisposed: true,
      });
      return () => undefined;
    }
    let cancelled = false;
    let stop = (): void => {
      cancelled = true;
    };
    Promise.resolve(handler(packet.data, new BaseRpcContext([])))
      .then((result) => {
        if (cancelled) return;
        const subscription = this.send(this.transformToObservable(result), respond);
        stop = () => subscription.unsubscribe();
      })
      .catch((err: unknown) => respond({ err, isDisposed: true }));
    return () => stop();
  }
}

/** Client of a `LocalServer`; fails a request at once when no such listener is in this process. */
export class LocalClient extends ClientProxy {
  constructor(private readonly options: { role: PeerRole }) {
    super();
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    // Nothing to close.
  }

  unwrap<T>(): T {
    return listeners.get(this.options.role) as T;
  }

  protected publish(packet: ReadPacket, callback: (reply: WritePacket) => void): () => void {
    const listener = listeners.get(this.options.role);
    if (!listener) {
      callback({
        err: new Error(`no local ${this.options.role} listens in this process`),
        isDisposed: true,
      });
      return () => undefined;
    }
    return listener.request(this.assignPacketId(packet), callback);
  }

  protected dispatchEvent<T>(): Promise<T> {
    return Promise.reject(new Error('the local transport carries requests only'));
  }
}
