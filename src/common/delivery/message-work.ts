import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The work a message stands for beyond its answer. A handler answers as soon as it can and says
 * what is still to happen for the message (`messageFinishesWith`): the promise of that work, true
 * once it is done for good. A transport that settles each message with its broker only when its
 * work is done (RabbitMQ: `BrokerAckInterceptor`) collects it (`collectMessageWork`) and waits;
 * elsewhere nothing collects and nothing is kept. So handlers know no broker.
 */
const collecting = new AsyncLocalStorage<Promise<boolean>[]>();

/** Adds `done` to the work of the message being handled, if a transport collects it. */
export function messageFinishesWith(done: Promise<boolean>): void {
  collecting.getStore()?.push(done);
}

/**
 * Runs `handle` (which starts a handler) so that the work it declares, at once or after any
 * await, lands in `work`.
 */
export function collectMessageWork<T>(work: Promise<boolean>[], handle: () => T): T {
  return collecting.run(work, handle);
}

/** Whether every piece of `work` is done for good (false as soon as one is not, or fails). */
export async function allDone(work: readonly Promise<boolean>[]): Promise<boolean> {
  const outcomes = await Promise.all(work.map((done) => done.catch(() => false)));
  return outcomes.every(Boolean);
}
