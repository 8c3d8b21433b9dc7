import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { JsonSocket } from '@nestjs/microservices';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { framedSocketClass } from './framed-json-socket.js';

const LIMITS = { maxFrameLength: 1024, incompleteFrameTimeoutMs: 200 };

interface Accepted {
  reads: number;
  readonly messages: unknown[];
  readonly errors: string[];
}

// A listener whose connections are read by the socket class under test; it echoes every message.
describe('FramedJsonSocket', () => {
  let server: Server;
  let port: number;
  let accepted: Accepted[];
  let clients: Socket[];

  beforeEach(async () => {
    accepted = [];
    clients = [];
    const SocketClass = framedSocketClass(LIMITS);
    server = createServer((socket) => {
      const framed = new SocketClass(socket);
      const connection: Accepted = {
        reads: 0,
        messages: [],
        errors: [],
      };
      socket.on('data', () => connection.reads++);
      framed.on('message', (message) => {
        connection.messages.push(message);
        framed.sendMessage(message);
      });
      framed.on('error', (reason) => connection.errors.push(String(reason)));
      accepted.push(connection);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const client of clients) client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  async function rawClient(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    clients.push(socket);
    await once(socket, 'connect');
    return socket;
  }

  /** Resolves once `condition` holds, checking after each turn of the event loop. */
  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setImmediate(resolve));
  }

  it('speaks Nest JsonSocket both ways, a character cut between two reads included', async () => {
    const nest = new JsonSocket(connect(port, '127.0.0.1'));
    clients.push(nest.netSocket);
    await once(nest.netSocket, 'connect');
    const replies: unknown[] = [];
    nest.on('message', (message) => replies.push(message));

    const message = { pattern: 'p', data: 'é ✓ 𝄞 '.repeat(20), id: '1' };
    nest.sendMessage(message);
    // Then the same frame as raw bytes, cut inside the two-byte "é", in two writes that the
    // listener reads separately.
    const raw = await rawClient();
    const json = JSON.stringify(message);
    const bytes = Buffer.from(`${json.length}#${json}`);
    const inside = bytes.indexOf(Buffer.from('é')) + 1;
    raw.write(bytes.subarray(0, inside));
    await until(() => (accepted[1]?.reads ?? 0) > 0);
    raw.write(bytes.subarray(inside));

    await until(() => replies.length === 1 && accepted[1].messages.length === 1);
    expect(replies).toEqual([message]);
    expect(accepted[0].messages).toEqual([message]);
    expect(accepted[1].messages).toEqual([message]);
  });

  it.each([
    {
      what: 'closes a connection whose header announces more than the limit, before any body',
      sent: '1025#',
      exception: 'MaxPacketLengthExceededException',
    },
    {
      what: 'ends a connection that sends a malformed frame, and reads nothing more from it',
      sent: '5#{nop}2#{}',
      exception: 'InvalidJSONFormatException',
    },
  ])('$what', async ({ sent, exception }) => {
    const client = await rawClient();
    client.write(sent);
    await once(client, 'close');
    expect(accepted[0].errors).toEqual([expect.stringContaining(exception) as unknown]);
    expect(accepted[0].messages).toEqual([]);
  });

  it('drops a peer that stops in mid-frame, not one that is idle between whole frames', async () => {
    const idle = await rawClient();
    idle.write('2#{}');
    await until(() => accepted[0]?.messages.length === 1);

    const stalled = await rawClient();
    stalled.write('10#{"pat');
    await once(stalled, 'close');
    // The idle connection has been idle for longer than the stalled one waited, and is open.
    expect(accepted[1].errors).toEqual([
      expect.stringContaining('IncompleteMessageTimeoutException') as unknown,
    ]);
    expect(idle.destroyed).toBe(false);
    idle.write('3#[1]');
    await until(() => accepted[0].messages.length === 2);
    expect(accepted[0].messages).toEqual([{}, [1]]);
  });
});
