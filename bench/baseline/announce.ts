import { SIGNAL_PREFIX } from '../../harness/child.js';

/** Tells the parent bench something, as one `BENCH {json}` line on stdout. */
export function announce(message: object): void {
  process.stdout.write(`${SIGNAL_PREFIX}${JSON.stringify(message)}\n`);
}

/** The port a Nest TCP microservice is bound to. */
export function boundPort(app: { unwrap<T>(): T }): number {
  const address = app.unwrap<{ address(): unknown }>().address();
  if (typeof address !== 'object' || address === null || !('port' in address)) {
    throw new Error('the listener has no port');
  }
  return (address as { port: number }).port;
}

/** Reads a positive integer from the environment. */
export function intEnv(name: string, fallback?: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be an integer`);
  return value;
}
