import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger, type CallHandler } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RmqContext, RpcException, TcpContext } from '@nestjs/microservices';
import { lastValueFrom, type Observable, of, Subject, throwError } from 'rxjs';
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

  it('drops a message the contract refused (RpcException): nack without requeue, error passed on', async () => {
    const { channel, settled } = fakeChannel();
    const refusal = new RpcException({ status: 'error', message: 'seq must be ≥ 1' });

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(throwError(() => refusal)),
    );

    await expect(lastValueFrom(answer)).rejects.toBe(refusal);
    expect(settled).toEqual([{ how: 'nack', message, allUpTo: false, requeue: false }]);
  });

  it('requeues a message whose handling failed otherwise: nack with requeue, error passed on', async () => {
    const { channel, settled } = fakeChannel();
    const failure = new Error('saver unreachable');

    const answer = sut.intercept(
      rpcCall(new RmqContext([message, channel, PATTERN])),
      handling(throwError(() => failure)),
    );

    await expect(lastValueFrom(answer)).rejects.toBe(failure);
    expect(settled).toEqual([{ how: 'nack', message, allUpTo: false, requeue: true }]);
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
