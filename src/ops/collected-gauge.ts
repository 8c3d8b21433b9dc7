import { Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;
/** Reads the current values of one source, at scrape time. */
export type GaugeSource = () => Iterable<readonly [Labels, number]>;

/**
 * A gauge whose value is read from its sources when Prometheus scrapes, never pushed: a module
 * adds a source when it starts (its queue, its open files) and removes it when it stops.
 */
export class CollectedGauge {
  private readonly sources = new Set<GaugeSource>();

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    const sources = this.sources;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const source of sources)
          for (const [labels, value] of source()) this.set(labels, value);
      },
    });
  }

  /** Adds a source; the function answered removes it. */
  add(source: GaugeSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }
}
