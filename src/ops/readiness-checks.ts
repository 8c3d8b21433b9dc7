/** One dependency's answer: up or not, with details for the operator (never secrets). */
export interface Readiness {
  readonly up: boolean;
  readonly [detail: string]: unknown;
}

export type ReadinessCheck = () => Promise<Readiness>;

/**
 * What "ready" means in this process: each module adds the checks of what it depends on (its
 * peers, the output folder), by name; `/health/ready` runs them all. Two modules that depend on
 * the same peer (the client and the processor both need the saver) share its check.
 */
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check `name`; the function answered removes it. */
  add(name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}
