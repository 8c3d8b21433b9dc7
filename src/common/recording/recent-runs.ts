/**
 * The recordings of the latest `capacity` runs, each made at its run's first event; the one made
 * first is forgotten first, so memory stays bounded whatever the number of runs.
 */
export class RecentRuns<R extends { readonly runId: string }> {
  private readonly runs = new Map<string, R>();
  /** The run of the latest event: events come in bursts for one run, and most skip the map. */
  private latest?: R;

  constructor(
    private readonly capacity: number,
    private readonly make: (runId: string) => R,
  ) {}

  /** The run's recording, if it is still kept. */
  get(runId: string): R | undefined {
    return this.runs.get(runId);
  }

  /** The run's recording, made now if it has none (forgetting the oldest beyond `capacity`). */
  of(runId: string): R {
    if (this.latest?.runId === runId) return this.latest;
    let recording = this.runs.get(runId);
    if (!recording) {
      recording = this.make(runId);
      this.runs.set(runId, recording);
      if (this.runs.size > this.capacity) this.runs.delete(this.runs.keys().next().value as string);
      // `latest` may have been the run just forgotten: it is replaced below.
    }
    this.latest = recording;
    return recording;
  }
}
