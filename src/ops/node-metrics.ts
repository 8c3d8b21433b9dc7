import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Default metrics that are gauges named like counters (`promtool check metrics` flags the
 * `_total` suffix), each the sum over the labelled gauge of the same name without it
 * (`nodejs_active_handles{type}`, …), which stays: `sum(nodejs_active_handles)` answers the same.
 */
export const DROPPED_NODE_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

let shared: Registry | undefined;

/**
 * Node's default metrics (CPU, memory, event loop, GC), collected once per process: they describe
 * the process, not a system, and each collection installs observers that are never removed.
 */
export function nodeMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
    for (const name of DROPPED_NODE_METRICS) shared.removeSingleMetric(name);
  }
  return shared;
}
