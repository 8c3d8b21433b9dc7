/**
 * The payload of task (`conn`, `idx`) of the run with `seed`: a pure function, so a task sent again
 * after a restart is byte-identical to the first send without the journal holding its value.
 * A 32-bit integer hash (murmur3's finaliser), folded into 0..2³¹−1 as the contract wants.
 */
export function taskValue(seed: number, conn: number, idx: number): number {
  let hash = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ conn;
  hash = Math.imul(hash ^ (hash >>> 16), 0xc2b2ae35) ^ idx;
  hash = Math.imul(hash ^ (hash >>> 13), 0x27d4eb2f);
  return (hash ^ (hash >>> 16)) & 0x7fffffff;
}

/** A new run's seed. */
export const newSeed = (): number => Math.floor(Math.random() * 2 ** 32) >>> 0;
