import { afterEach, describe, expect, it } from '@jest/globals';
import { RpcException, ServerTCP } from '@nestjs/microservices';
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { of, throwError } from 'rxjs';
import { framedSocketClass } from './framed-json-socket.js';
import { GuardedTcpServer } from './guarded-tcp-server.js';

type Handler = (data: unknown) => Promise<unknown>;
type Listener = ServerTCP & {
  addHandler(pattern: string, handler: Handler, isEvent: boolean): void;
  setOnProcessingStartHook(
    hook: (transport: unknown, context: unknown, done: () => Promise<unknown>) => void,
  ): void;
};

/** Handlers of every kind of answer: a value, nothing, a stream, an error. */
const HANDLERS: Record<string, Handler> = {
  value: (data) => Promise.resolve({ echo: data }),
  nothing: () => Promise.resolve(undefined),
  stream: () => Promise.resolve(of(1, 2, 3)),
  error: () => Promise.resolve(throwError(() => new RpcException({ message: 'refused' }))),
};

/**
 * GuardedTcpServer answers a request whose handler gives a value without Nest's Observable
 * pipeline. What goes on the wire must be what Nest's own ServerTCP sends, for every kind of
 * answer: both listeners get the same requests on a raw socket and their replies are compared.
 */
describe('GuardedTcpServer replies', () => {
  const listeners: Listener[] = [];
  afterEach(() => {
    for (const listener of listeners.splice(0)) listener.close();
  });

  const started = async (listener: Listener): Promise<number> => {
    listeners.push(listener);
    for (const [pattern, handler] of Object.entries(HANDLERS))
      listener.addHandler(pattern, handler, false);
    await new Promise<void>((resolve) => listener.listen(() => resolve()));
    return (listener.unwrap<NetServer>().address() as AddressInfo).port;
  };
  const guarded = () =>
    new GuardedTcpServer({
      host: '127.0.0.1',
      port: 0,
      maxConnections: 10,
      socketClass: framedSocketClass({
        maxFrameLength: 64 * 1024,
        incompleteFrameTimeoutMs: 10_000,
      }),
    }) as unknown as Listener;
  const nest = () => new ServerTCP({ host: '127.0.0.1', port: 0 }) as unknown as Listener;

  it.each(Object.keys(HANDLERS))(
    'sends what Nest sends for an answer of kind %s',
    async (pattern) => {
      const ours = await repliesTo(await started(guarded()), pattern);
      const nests = await repliesTo(await started(nest()), pattern);
      expect(ours).toEqual(nests);
      expect(ours.at(-1)).toMatchObject({ id: 'r1', isDisposed: true });
    },
  );

  it('takes Nest’s way while a processing hook is set, and the hook sees every request', async () => {
    const listener = guarded();
    const seen: unknown[] = [];
    listener.setOnProcessingStartHook((_transport, context, done) => {
      seen.push(context);
      void done();
    });
    const replies = await repliesTo(await started(listener), 'value');
    expect(replies).toEqual([{ id: 'r1', response: { echo: 'data' }, isDisposed: true }]);
    expect(seen).toHaveLength(1);
  });
});

/** Sends one request on a raw socket and reads the replies up to the last (`isDisposed`). */
function repliesTo(port: number, pattern: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const replies: Record<string, unknown>[] = [];
    let buffered = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered += chunk.toString();
      for (;;) {
        const hash = buffered.indexOf('#');
        const length = Number(buffered.slice(0, hash));
        if (hash < 0 || buffered.length < hash + 1 + length) return;
        const reply = JSON.parse(buffered.slice(hash + 1, hash + 1 + length)) as Record<
          string,
          unknown
        >;
        buffered = buffered.slice(hash + 1 + length);
        replies.push(reply);
        if (reply.isDisposed) {
          socket.end();
          resolve(replies);
          return;
        }
      }
    });
    const request = JSON.stringify({ pattern, data: 'data', id: 'r1' });
    socket.write(`${request.length}#${request}`);
  });
}
