import type { PortRange } from '../harness/ports.js';
import { fileURLToPath } from 'node:url';

/** dist-bench/, where `tsc -p tsconfig.bench.json` puts the compiled src/ and bench/. */
export const DIST = fileURLToPath(new URL('../', import.meta.url));
/** The system's entry point, compiled with the bench (so `npm run build` is never needed). */
export const SYSTEM_ENTRY = fileURLToPath(new URL('../src/main.js', import.meta.url));
export const benchScript = (relative: string): string =>
  fileURLToPath(new URL(relative, import.meta.url));

/** The bench's fixed ports: clear of the system's 5000–5003 and of the tests' (above 20000). */
export const BENCH_PORTS: PortRange = { first: 18_000, last: 18_999 };
