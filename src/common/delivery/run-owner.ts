/**
 * Which of `count` savers owns run `runId`: rendezvous hashing, the saver whose hash with the
 * run id is highest. Every process computes the same owner from the same id and count, and when
 * the count changes only the runs of the savers added or removed move (about 1/count of them).
 */
export function ownerOf(runId: string, count: number): number {
  if (count <= 1) return 0;
  let owner = 0;
  let best = -1;
  for (let saver = 0; saver < count; saver += 1) {
    const score = fnv1a(`${runId}#${saver}`);
    if (score > best) {
      best = score;
      owner = saver;
    }
  }
  return owner;
}

/** 32-bit FNV-1a: fast, and spreads run ids (which share long prefixes) well enough. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < text.length; at += 1) {
    hash ^= text.charCodeAt(at);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final mix: ids that differ only in their last characters differ in every bit.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return hash >>> 0;
}
