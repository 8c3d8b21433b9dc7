/**
 * The V8 heap flags of every way of starting the system (README, "Memory"; DESIGN §13): one home.
 * `npm run start:split` and the bench import them; package.json, the Dockerfile and
 * docker-compose.yml cannot import, so `test/unit/heap-flags.spec.ts` checks they carry exactly these.
 */
export const HEAP_FLAGS = {
  /** Four modules allocating in one thread: a 512 MB old space and a larger young generation. */
  monolith: ['--max-old-space-size=512', '--max-semi-space-size=32'],
  /** One module per process: what each holds is bounded by the windows. */
  split: ['--max-old-space-size=160'],
} as const;

/**
 * A heap twice what the last full collection kept, as V8 allows an uncapped heap; under a cap below
 * 256 MB V8 would grow it by only 10 %. Node refuses this flag in NODE_OPTIONS: `main.ts` sets it.
 */
export const HEAP_GROWING_FLAG = '--heap-growing-percent=100';

/** Whether node was given the heap growing factor itself (V8 takes its flags with dashes or underscores). */
export function givesHeapGrowing(execArgv: readonly string[]): boolean {
  const name = HEAP_GROWING_FLAG.slice(0, HEAP_GROWING_FLAG.indexOf('='));
  return execArgv.some((arg) => arg.replaceAll('_', '-').startsWith(name));
}
