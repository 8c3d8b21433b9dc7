import { Gauge } from 'prom-client';

export type Labels = Record<string, string>;
/** Reads the current values of one source, at scrape time. */
export type GaugeSource = () => Iterable<readonly [Labels, number]>;

/**
 * A gauge whose value is read from its sources when Prometheus scrapes, never pushed: a module
 * adds a source when it starts (its queue, its open files) and removes it when it stops.
 */
export class CollectedGauge {
  private readonly sources = new Set<GaugeSource>();
  /** The prom-client gauge, registered by `PipelineMetrics` with the module that uses it. */
  readonly metric: Gauge;

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    const sources = this.sources;
    this.metric = new Gauge({
      name,
      help,
      labelNames,
      registers: [],
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
