import { describe, expect, it } from '@jest/globals';
import type { ClientProxy } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import { of, throwError, type Observable } from 'rxjs';
import { loadSettings } from '../settings/environment.js';
import { greet } from './connection-greeting.js';
import { retryPolicy } from './request-with-retry.js';

/** A connection whose n-th request (1-based) is answered with `answer(n)`. */
function fakeConnection(answer: (n: number) => Observable<unknown>) {
  const sent: string[] = [];
  let connects = 0;
  const proxy = {
    send: (pattern: string) => {
      sent.push(pattern);
      return answer(sent.length);
    },
    connect: () => {
      connects++;
      return Promise.resolve();
    },
  } as unknown as ClientProxy;
  return { proxy, sent, connects: () => connects };
}

const tcp = loadSettings({ TRANSPORT: 'tcp' });
const policy = { ...retryPolicy(tcp), baseMs: 1, maxMs: 2 };

describe(greet.name, () => {
  it('on TCP, asks once and returns when the server answers', async () => {
    const connection = fakeConnection(() => of({ ready: true }));
    await greet(tcp, connection.proxy, 'server.ping', policy);
    expect(connection.sent).toEqual(['server.ping']);
  });

  it('takes any answer, even that the server has no such handler, as a served connection', async () => {
    for (const refusal of [NO_MESSAGE_HANDLER, { status: 'error', message: 'no' }]) {
      const connection = fakeConnection(() => throwError(() => refusal));
      await greet(tcp, connection.proxy, 'server.ping', policy);
      expect(connection.sent).toHaveLength(1);
    }
  });

  it('asks again while the connection fails, and fails when the policy is spent', async () => {
    const recovering = fakeConnection((n) =>
      n < 3 ? throwError(() => new Error('connect ECONNREFUSED')) : of({ ready: true }),
    );
    await greet(tcp, recovering.proxy, 'server.ping', policy);
    expect(recovering.sent).toHaveLength(3);

    const away = fakeConnection(() => throwError(() => new Error('connect ECONNREFUSED')));
    await expect(greet(tcp, away.proxy, 'server.ping', { ...policy, attempts: 2 })).rejects.toThrow(
      'ECONNREFUSED',
    );
    expect(away.sent).toHaveLength(3);
  });

  it('on a broker, sends nothing (the broker accepts connections itself)', async () => {
    const connection = fakeConnection(() => of({ ready: true }));
    await greet(loadSettings({ TRANSPORT: 'nats' }), connection.proxy, 'server.ping', policy);
    expect(connection.sent).toEqual([]);
    expect(connection.connects()).toBe(0);
  });
});
