import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger, type CallHandler } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RmqContext, RpcException, TcpContext } from '@nestjs/microservices';
import { defer, lastValueFrom, type Observable, of, Subject, tap, throwError } from 'rxjs';
import { messageFinishesWith } from '../../delivery/message-work.js';
import { BrokerAckInterceptor } from './broker-ack.interceptor.js';

const PATTERN = 'processor.task';

/** A RabbitMQ channel that records how each message was settled, and throws when told to. */
function fakeChannel(throwing?: Error) {
  const settled: { how: 'ack' | 'nack'; message: unknown; allUpTo?: boolean; requeue?: boolean }[] =
    [];
  const channel = {
    ack: (message: unknown) => {
      settled.push({ how: 'ack', message });
      if (throwing) throw throwing;
    },
    nack: (message: unknown, allUpTo: boolean, requeue: boolean) => {
      settled.push({ how: 'nack', message, allUpTo, requeue });
      if (throwing) throw throwing;
    },
  };
  return { channel, settled };
}

/** What Nest hands an interceptor for an RPC call: the data, then the transport's context. */
const rpcCall = (context: unknown) => {
  const host = new ExecutionContextHost([{ seq: 1 }, context]);
  host.setType('rpc');
  return host;
};

/** Waits, a turn of the event loop at a time, until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

const handling = (handle: Observable<unknown>): CallHandler => ({ handle: () => handle });

describe(BrokerAckInterceptor.name, () => {
  const message = { content: Buffer.from('{}'), fields: { deliveryTag: 7 } };
  const sut = new BrokerAckInterceptor();

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('acknowledges the message once the handler has finished all its work, not at its answer', () => {
    const { channel, settled } = fakeChannel();
    const work = new Subject<string>();
    const answers: unknown[] = [];

    sut
      .intercept(rpcCall(new RmqContext([message, channel, PATTERN])), handling(work))
      .subscribe((answer) => answers.push(answer));
    work.next('Ok');
    expect(answers).toEqual(['Ok']);
    expect(settled).toEqual([]);
    work.complete();

    expect(settled).toEqual([{ how: 'ack', message }]);
  });

  it('acknowledges a message once the work its handler declared has finished, after the answer', async () => {
    const { channel, settled } = fakeChannel();
    let finish: (done: boolean) => void = () => undefined;
    const processing = new Promise<boolean>((resolve) => (finish = resolve));
    const handler = defer(async () => {
      await Promise.resolve();
      messageFinishesWith(processing);
      return 'Ok';
    });
    const answers: unknown[] = [];

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(handler),
    );
    const ended = lastValueFrom(answer.pipe(tap((value) => answers.push(value))));
    await until(() => answers.length === 1);
    expect(settled).toEqual([]);
    finish(true);
    await ended;

    expect(answers).toEqual(['Ok']);
    expect(settled).toEqual([{ how: 'ack', message }]);
  });

  it('requeues a message whose declared work did not finish for good', async () => {
    const { channel, settled } = fakeChannel();
    const handler = defer(() => {
      messageFinishesWith(Promise.resolve(true));
      messageFinishesWith(Promise.resolve(false));
      return of('Ok');
    });

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(handler),
    );

    await expect(lastValueFrom(answer)).rejects.toThrow(`${PATTERN}: its work did not finish`);
    expect(settled).toEqual([{ how: 'nack', message, allUpTo: false, requeue: true }]);
  });

  it.each([
    {
      what: 'drops a message the contract refused (RpcException): nack without requeue, error passed on',
      error: new RpcException({ status: 'error', message: 'seq must be ≥ 1' }),
      requeue: false,
    },
    {
      what: 'requeues a message whose handling failed otherwise: nack with requeue, error passed on',
      error: new Error('saver unreachable'),
      requeue: true,
    },
  ])('$what', async ({ error, requeue }) => {
    const { channel, settled } = fakeChannel();

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(throwError(() => error)),
    );

    await expect(lastValueFrom(answer)).rejects.toBe(error);
    expect(settled).toEqual([{ how: 'nack', message, allUpTo: false, requeue }]);
  });

  it('settles a message once, even when its answer is subscribed to twice', async () => {
    const { channel, settled } = fakeChannel();

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(of('Ok')),
    );
    await lastValueFrom(answer);
    await lastValueFrom(answer);

    expect(settled).toEqual([{ how: 'ack', message }]);
  });

  it('logs, and does not throw, when the channel cannot settle the message', async () => {
    const { channel } = fakeChannel(new Error('Channel closed'));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(of('Ok')),
    );

    await expect(lastValueFrom(answer)).resolves.toBe('Ok');
    expect(warn).toHaveBeenCalledWith(
      `could not settle a message on ${PATTERN}: Error: Channel closed`,
    );
  });

  it("passes the handler's own error on when the channel cannot nack either", async () => {
    const { channel } = fakeChannel(new Error('Channel closed'));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failure = new Error('saver unreachable');

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(throwError(() => failure)),
    );

    await expect(lastValueFrom(answer)).rejects.toBe(failure);
  });

  it('passes the handler through untouched on any other transport', () => {
    const handle = of('Ok');

    expect(sut.intercept(rpcCall(new TcpContext([null as never, PATTERN])), handling(handle))).toBe(
      handle,
    );
  });
});
