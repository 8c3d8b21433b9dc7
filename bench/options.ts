import { parseArgs } from 'node:util';
import type { RunShape } from './http.js';

export const SCENARIOS = [
  'baseline',
  'e2e',
  'seed',
  'latency',
  'delay',
  'memory',
  'journal',
  'overload',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type Profile = 'quick' | 'default' | 'full';

export interface BenchOptions {
  readonly profile: Profile;
  readonly scenarios: readonly Scenario[];
  readonly repeat: number;
  /** System variants by name (empty: every one available; see systems/variants.ts). */
  readonly variants: readonly string[];
  /** End-to-end shapes (delay_range=0); the baselines use their connection counts. */
  readonly e2eShapes: readonly RunShape[];
  /** Requests in flight per connection, for the baselines and the latency load (the system's SEND_WINDOW default). */
  readonly window: number;
  readonly latency: {
    readonly connections: number;
    readonly perConnection: number;
    /** Tasks sent one at a time, for the round trip of an idle system. */
    readonly idleTasks: number;
  };
  readonly delay: { readonly seconds: number; readonly shape: RunShape };
  readonly memoryShapes: readonly RunShape[];
  /**
   * The run journal: JOURNAL=off/write/fsync end to end on the first e2e shape, the time to resume
   * a run of `resumeShape` after kill -9, and the journal's size after `sizeRuns` runs.
   */
  readonly journal: {
    readonly resumeShape: RunShape;
    readonly sizeRuns: number;
    readonly sizeTasksPerRun: number;
  };
  /** Goodput: `politeClients`, then `floodClients` ignoring Retry-After, `seconds` each. */
  readonly overload: {
    readonly seconds: number;
    readonly politeClients: number;
    readonly floodClients: number;
  };
  /**
   * Shapes of the seed scenario (the Python seed replica and each variant): by default the e2e
   * shapes cut to at most SEED_MAX_TASKS tasks, since the seed runs at hundreds of tasks/s.
   */
  readonly seedShapes: readonly RunShape[];
  /** Where the JSON report goes; undefined: not written. */
  readonly out?: string;
  /** Extra node options for the split system's processes (e.g. --cpu-prof). */
  readonly childNodeArgs: readonly string[];
  /**
   * Broker variants: `none`; `light` (default: end to end on a tenth of the first shape only, so
   * the bench stays within minutes); `full` (every shape, like TCP).
   */
  readonly brokers: BrokerDepth;
}

export const BROKER_DEPTHS = ['none', 'light', 'full'] as const;
export type BrokerDepth = (typeof BROKER_DEPTHS)[number];

const PROFILES: Record<
  Profile,
  Omit<BenchOptions, 'scenarios' | 'variants' | 'out' | 'childNodeArgs' | 'brokers' | 'seedShapes'>
> = {
  quick: {
    profile: 'quick',
    repeat: 2,
    e2eShapes: [shape(100, 100), shape(10, 1000)],
    window: 64,
    latency: { connections: 10, perConnection: 1000, idleTasks: 500 },
    delay: { seconds: 1, shape: shape(10, 200) },
    memoryShapes: [shape(10, 100), shape(100, 100)],
    journal: { resumeShape: shape(100, 1000), sizeRuns: 10, sizeTasksPerRun: 10_000 },
    overload: { seconds: 8, politeClients: 8, floodClients: 200 },
  },
  default: {
    profile: 'default',
    repeat: 3,
    e2eShapes: [shape(100, 1000), shape(10, 10_000)],
    window: 64,
    latency: { connections: 10, perConnection: 3000, idleTasks: 2000 },
    delay: { seconds: 1, shape: shape(10, 1000) },
    memoryShapes: [shape(100, 100), shape(100, 1000)],
    journal: { resumeShape: shape(1000, 1000), sizeRuns: 100, sizeTasksPerRun: 100_000 },
    overload: { seconds: 20, politeClients: 8, floodClients: 200 },
  },
  full: {
    profile: 'full',
    repeat: 3,
    e2eShapes: [shape(100, 1000), shape(10, 10_000)],
    window: 64,
    latency: { connections: 10, perConnection: 3000, idleTasks: 2000 },
    delay: { seconds: 1, shape: shape(10, 1000) },
    memoryShapes: [shape(100, 100), shape(100, 1000), shape(1000, 1000)],
    journal: { resumeShape: shape(1000, 1000), sizeRuns: 100, sizeTasksPerRun: 100_000 },
    overload: { seconds: 20, politeClients: 8, floodClients: 200 },
  },
};

function shape(connections: number, values: number): RunShape {
  return { connections, values };
}

/** Largest run of the seed scenario by default: about 15 s for the seed replica on 2 cores. */
export const SEED_MAX_TASKS = 10_000;

/** The e2e shapes on the same connections, with at most SEED_MAX_TASKS tasks each. */
export function seedShapesFor(e2eShapes: readonly RunShape[]): RunShape[] {
  const shapes = e2eShapes.map(({ connections, values }) =>
    shape(connections, Math.max(1, Math.min(values, Math.floor(SEED_MAX_TASKS / connections)))),
  );
  return shapes.filter(
    (one, at) =>
      shapes.findIndex((s) => s.connections === one.connections && s.values === one.values) === at,
  );
}

export const USAGE = `npm run bench -- [options]

  --scenarios <list>   comma list of ${SCENARIOS.join(', ')} (default: all)
  --quick              small sizes, 2 repeats (about a minute or two)
  --full               adds the 1M-task memory run (1000×1000)
  --repeat <n>         measured repeats of each figure (default 3; --quick 2)
  --variants <list>    system variants, e.g. monolith-tcp,split-tcp (default: all available)
  --brokers <depth>    broker variants: none | light (default: e2e on a tenth of the first
                       shape only) | full (every shape, like TCP)
  --shapes <list>      end-to-end shapes, e.g. 100x1000,10x10000
  --memory-shapes <l>  memory shapes, e.g. 100x100,100x1000,1000x1000
  --seed-shapes <list> shapes of the seed scenario (default: the e2e shapes cut to
                       ${SEED_MAX_TASKS} tasks, e.g. 100x100,10x1000)
  --delay <seconds>    delay_range of the delay scenario (default 1)
  --out <file>         JSON report path (default bench/results/<ISO date>.json)
  --no-save            do not write the JSON report
  --child-node-args=<a> node options for the system's processes, e.g. "--child-node-args=--cpu-prof --cpu-prof-dir=/tmp/p"
  --help

System settings (SEND_WINDOW, LINK_SOCKETS, SAVER_FLUSH_MS, …) come from the environment, as for the
system itself; the bench sets only ports, OUTPUT_DIR, LOG_LEVEL=warn and TRANSPORT.`;

function parseShapes(text: string): RunShape[] {
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(part);
    if (!match) throw new Error(`a shape is <connections>x<values>, got "${part}"`);
    return shape(Number(match[1]), Number(match[2]));
  });
}

const list = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/** Parses the command line; answers undefined after printing the usage for --help. */
export function parseOptions(args: readonly string[], now = new Date()): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...args],
    options: {
      scenarios: { type: 'string' },
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      repeat: { type: 'string' },
      variants: { type: 'string' },
      shapes: { type: 'string' },
      'memory-shapes': { type: 'string' },
      'seed-shapes': { type: 'string' },
      delay: { type: 'string' },
      out: { type: 'string' },
      'no-save': { type: 'boolean', default: false },
      'child-node-args': { type: 'string' },
      brokers: { type: 'string', default: 'light' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (values.quick && values.full) throw new Error('--quick and --full exclude each other');
  const base = PROFILES[values.quick ? 'quick' : values.full ? 'full' : 'default'];
  const scenarios = list(values.scenarios);
  const unknown = scenarios.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const repeat = values.repeat === undefined ? base.repeat : Number(values.repeat);
  if (!Number.isSafeInteger(repeat) || repeat < 1)
    throw new Error('--repeat must be an integer ≥ 1');
  const delaySeconds = values.delay === undefined ? base.delay.seconds : Number(values.delay);
  if (!(delaySeconds >= 0)) throw new Error('--delay must be a number ≥ 0');
  const brokers = values.brokers as BrokerDepth;
  if (!BROKER_DEPTHS.includes(brokers))
    throw new Error(`--brokers is one of ${BROKER_DEPTHS.join(', ')}`);
  const stamp = now.toISOString().replace(/:/g, '-');
  const e2eShapes = values.shapes ? parseShapes(values.shapes) : base.e2eShapes;
  return {
    ...base,
    scenarios: scenarios.length > 0 ? (scenarios as Scenario[]) : [...SCENARIOS],
    repeat,
    variants: list(values.variants),
    e2eShapes,
    seedShapes: values['seed-shapes']
      ? parseShapes(values['seed-shapes'])
      : seedShapesFor(e2eShapes),
    memoryShapes: values['memory-shapes']
      ? parseShapes(values['memory-shapes'])
      : base.memoryShapes,
    delay: { ...base.delay, seconds: delaySeconds },
    ...(values['no-save'] ? {} : { out: values.out ?? `bench/results/${stamp}.json` }),
    brokers,
    childNodeArgs: (values['child-node-args'] ?? '').split(' ').filter((arg) => arg.length > 0),
  };
}
