import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * Node's default metrics (CPU, memory, event loop, GC), collected once per process: they describe
 * the process, not a system, and each collection installs observers that are never removed.
 */
export function nodeMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
