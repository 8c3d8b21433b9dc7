import { connect, type Socket } from 'node:net';

/** A frame as Nest's JsonSocket writes it. */
export const frameOf = (message: unknown): string => {
  const json = JSON.stringify(message);
  return `${json.length}#${json}`;
};

/**
 * A reader of Nest's TCP framing for text as it arrives: calls `onFrame` with the JSON text of each
 * whole frame, keeping a partial one for the next chunk.
 */
export function frameReader(onFrame: (json: string) => void): (text: string) => void {
  let received = '';
  return (text) => {
    received += text;
    for (;;) {
      const hash = received.indexOf('#');
      if (hash < 0) return;
      const length = Number(received.slice(0, hash));
      if (received.length < hash + 1 + length) return;
      onFrame(received.slice(hash + 1, hash + 1 + length));
      received = received.slice(hash + 1 + length);
    }
  };
}

interface ReplyPacket {
  readonly id: string;
  readonly response?: unknown;
  readonly err?: unknown;
}

/**
 * A TCP peer that writes whatever it is told, frames or not: what a hostile or broken peer of a
 * listener looks like. Reads replies with a reader of its own (not the code under test).
 */
export class RawPeer {
  private nextId = 0;
  private readonly waiting = new Map<string, (reply: ReplyPacket) => void>();
  /** Resolves when the connection is closed, by either end. */
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on(
      'data',
      frameReader((json) => this.answered(JSON.parse(json) as ReplyPacket)),
    );
    // A listener that closes on us may reset the connection while we still write.
    socket.on('error', () => undefined);
    // Not events.once: it would reject on the 'error' that comes first.
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static async connect(port: number): Promise<RawPeer> {
    const peer = new RawPeer(connect(port, '127.0.0.1'));
    await Promise.race([
      new Promise((resolve) => peer.socket.once('connect', resolve)),
      peer.closed,
    ]);
    return peer;
  }

  get open(): boolean {
    return !this.isClosed;
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request and resolves with the listener's reply packet. */
  request(pattern: string, data: unknown, id = `raw-${++this.nextId}`): Promise<ReplyPacket> {
    const reply = new Promise<ReplyPacket>((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.closed.then(() => reject(new Error(`closed before the reply to ${id}`)));
    });
    this.write(frameOf({ pattern, data, id }));
    return reply;
  }

  /** Sends an event (no id: no reply). */
  event(pattern: string, data: unknown): void {
    this.write(frameOf({ pattern, data }));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private answered(packet: ReplyPacket): void {
    this.waiting.get(packet.id)?.(packet);
    this.waiting.delete(packet.id);
  }
}
