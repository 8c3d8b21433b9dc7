/**
 * A measurement hook for the benchmark (`bench/`): when set, the saver reports when each result
 * arrives, leaves the reorder buffer and is in the file, so that reorder wait and write lag can be
 * measured where they happen. Unset (the default) it costs one check per event. Process-wide on
 * purpose: the bench sets it from outside the Nest application it starts.
 */
export interface SaverProbe {
  /** A result for `seq` reached the run's pipeline (before the reorder buffer). */
  received(runId: string, seq: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 left the reorder buffer. */
  released(runId: string, firstSeq: number, count: number, at: number): void;
  /** Seqs firstSeq..firstSeq+count-1 are in the file (their append resolved). */
  written(runId: string, firstSeq: number, count: number, at: number): void;
}

let current: SaverProbe | undefined;

/** Sets (or, with undefined, removes) the probe. Times are `performance.now()`. */
export function setSaverProbe(probe: SaverProbe | undefined): void {
  current = probe;
}

export const saverProbe = (): SaverProbe | undefined => current;
