import { RpcException } from '@nestjs/microservices';

/**
 * How a handler says "not now": the peer is alive but at a bound (a full queue, a run not open
 * yet, a result too far ahead of the file). The sender waits and sends again; nothing is dropped.
 * It travels as Nest's RPC error object, so it keeps its shape on every transport.
 */
export interface RetryableRefusal {
  readonly status: 'error';
  readonly message: string;
  readonly retryable: true;
}

export const refuseForNow = (message: string): RpcException =>
  new RpcException({ status: 'error', message, retryable: true } satisfies RetryableRefusal);

/** An error a handler threw on purpose: `{ status: 'error', message }` from any transport. */
export const isHandlerError = (error: unknown): error is { status: 'error'; message?: unknown } =>
  typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 'error';

export const isRetryableRefusal = (error: unknown): error is RetryableRefusal =>
  isHandlerError(error) && (error as { retryable?: unknown }).retryable === true;

/**
 * How a relay says "the peer behind me cannot be reached" (its retries spent within the caller's
 * timeout): the caller counts it as a transport failure, with the real cause as its message.
 */
export interface UnreachableUpstream {
  readonly status: 'error';
  readonly message: string;
  readonly unreachable: true;
}

export const upstreamUnreachable = (message: string): RpcException =>
  new RpcException({ status: 'error', message, unreachable: true } satisfies UnreachableUpstream);

export const isUnreachableUpstream = (error: unknown): error is UnreachableUpstream =>
  isHandlerError(error) && (error as { unreachable?: unknown }).unreachable === true;
