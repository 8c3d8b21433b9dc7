import { RpcException } from '@nestjs/microservices';

/** An error a handler threw on purpose: `{ status: 'error', message }` from any transport. */
export const isHandlerError = (error: unknown): error is { status: 'error'; message?: unknown } =>
  typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 'error';

/**
 * A handler's error that tells the sender what to do by one flag set to `true`. It travels as
 * Nest's RPC error object, so it keeps its shape on every transport.
 */
type FlaggedError<Flag extends string> = { readonly status: 'error'; readonly message: string } & {
  readonly [flag in Flag]: true;
};

/** How a handler throws the error of this flag, and how a sender knows it. */
const flaggedError = <Flag extends string>(flag: Flag) => ({
  make: (message: string): RpcException =>
    new RpcException({ status: 'error', message, [flag]: true }),
  is: (error: unknown): error is FlaggedError<Flag> =>
    isHandlerError(error) && (error as Record<string, unknown>)[flag] === true,
});

/**
 * How a handler says "not now": the peer is alive but at a bound (a full queue, a run not open
 * yet, a result too far ahead of the file). The sender waits and sends again; nothing is dropped.
 */
export type RetryableRefusal = FlaggedError<'retryable'>;
const retryable = flaggedError('retryable');
export const refuseForNow = retryable.make;
export const isRetryableRefusal = retryable.is;

/**
 * How a relay says "the peer behind me cannot be reached" (its retries spent within the caller's
 * timeout): the caller counts it as a transport failure, with the real cause as its message.
 */
export type UnreachableUpstream = FlaggedError<'unreachable'>;
const unreachable = flaggedError('unreachable');
export const upstreamUnreachable = unreachable.make;
export const isUnreachableUpstream = unreachable.is;
