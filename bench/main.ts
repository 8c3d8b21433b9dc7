// `npm run bench`: measures the pipeline against bare Nest TCP on this machine; see bench/README.md.
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Environment } from '../src/common/settings/environment.js';
import { Child } from '../harness/child.js';
import { Log } from './log.js';
import { describeMachine } from './machine.js';
import { parseOptions, type BenchOptions } from './options.js';
import { renderMarkdown } from './report/markdown.js';
import type { BenchReport } from './report/model.js';
import { checkTargets, memoryGrowth, withRatios } from './report/targets.js';
import { runBaselines, type BaselineResult } from './scenarios/baseline.js';
import { runDelay, type DelayResult } from './scenarios/delay.js';
import { runE2e, type E2eResult } from './scenarios/e2e.js';
import { runJournal, type JournalResult } from './scenarios/journal.js';
import { runLatency, type LatencyResult } from './scenarios/latency.js';
import { runMemory, type MemoryResult } from './scenarios/memory.js';
import { runOverload, type OverloadResult } from './scenarios/overload.js';
import { runSeed, type SeedResult } from './scenarios/seed.js';
import { selectVariants, type SystemVariant } from './systems/variants.js';

/** Settings of the system that the bench's environment sets (they change the figures). */
function givenSettings(): Record<string, string> {
  const bench = new Set(['OUTPUT_DIR', 'LOG_LEVEL', 'MODULES', 'TRANSPORT']);
  return Object.fromEntries(
    Object.keys(new Environment())
      .filter((key) => !bench.has(key) && !key.endsWith('_PORT') && process.env[key])
      .map((key) => [key, process.env[key] as string]),
  );
}

function variantNamed(
  variants: readonly SystemVariant[],
  name: string,
  what: string,
): SystemVariant {
  const found = variants.find((variant) => variant.name === name);
  if (!found)
    throw new Error(`${what} needs the ${name} variant, which is not selected or not available`);
  return found;
}

async function bench(options: BenchOptions): Promise<BenchReport> {
  const log = new Log();
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();
  const wants = (scenario: string) => options.scenarios.includes(scenario as never);
  const { variants, notes } = await selectVariants(
    options.variants,
    (variant) => variant.brokerPort === undefined || options.brokers !== 'none',
  );
  for (const note of notes) log.step(note);
  log.step(
    `${options.profile} profile, repeat ${options.repeat}, scenarios ${options.scenarios.join(', ')}`,
  );

  let baselines: BaselineResult[] = [];
  if (wants('baseline')) {
    log.step('baselines: bare Nest TCP, 1 hop and 2 hops');
    const loads = [...new Map(options.e2eShapes.map((s) => [s.connections, s])).values()].map(
      (s) => ({
        connections: s.connections,
        perConnection: s.values,
      }),
    );
    baselines = await runBaselines({ loads, window: options.window, repeat: options.repeat }, log);
  }
  let e2e: E2eResult[] = [];
  if (wants('e2e')) e2e = await runE2e(variants, options, log);
  let seed: SeedResult | undefined;
  if (wants('seed')) seed = await runSeed(variants, options, log);
  let latency: LatencyResult | undefined;
  if (wants('latency')) {
    const monolith = variantNamed(variants, 'monolith-tcp', 'the latency scenario');
    latency = await runLatency(
      monolith,
      { ...options.latency, window: options.window, repeat: options.repeat },
      log,
    );
  }
  let delay: DelayResult[] = [];
  if (wants('delay')) {
    delay = await runDelay(
      variants,
      options.delay.shape,
      options.delay.seconds,
      options.repeat,
      log,
      options.childNodeArgs,
    );
  }
  const memory: MemoryResult[] = [];
  if (wants('memory')) {
    // Each in its own processes: the monolith as one `node dist-bench/src/main.js`, split as four.
    const measured = variants.filter((v) => v.name === 'monolith-tcp' || v.name === 'split-tcp');
    if (measured.length === 0) {
      throw new Error('the memory scenario needs monolith-tcp or split-tcp, neither is selected');
    }
    for (const variant of measured) {
      memory.push(...(await runMemory(variant, options.memoryShapes, log, options.childNodeArgs)));
    }
  }

  let journal: JournalResult | undefined;
  if (wants('journal')) {
    journal = await runJournal(
      variantNamed(variants, 'monolith-tcp', 'the journal scenario'),
      {
        shape: options.e2eShapes[0],
        repeat: options.repeat,
        ...options.journal,
        childNodeArgs: options.childNodeArgs,
      },
      log,
    );
  }

  let overload: OverloadResult | undefined;
  if (wants('overload')) {
    overload = await runOverload(
      variantNamed(variants, 'monolith-tcp', 'the overload scenario'),
      { ...options.overload, repeat: options.repeat, childNodeArgs: options.childNodeArgs },
      log,
    );
  }

  const e2eRatios = withRatios(e2e, baselines);
  const growth = memoryGrowth(memory);
  return {
    bench: 'ordered-pipeline',
    schema: 2,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    machine,
    options: {
      profile: options.profile,
      scenarios: options.scenarios,
      repeat: options.repeat,
      variants: variants.map((variant) => variant.name),
      e2eShapes: options.e2eShapes,
      window: options.window,
      latency: options.latency,
      delay: options.delay,
      memoryShapes: options.memoryShapes,
      journal: options.journal,
      overload: options.overload,
      seedShapes: options.seedShapes,
      childNodeArgs: options.childNodeArgs,
      brokers: options.brokers,
    },
    settings: givenSettings(),
    notes,
    baselines,
    e2e: e2eRatios,
    ...(seed ? { seed } : {}),
    ...(latency ? { latency } : {}),
    delay,
    memory: { runs: memory, growth },
    ...(journal ? { journal } : {}),
    ...(overload ? { overload } : {}),
    targets: checkTargets({ e2e: e2eRatios, seed, latency, delay, memory, overload }),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      Child.killAll();
      process.exit(130);
    });
  }
  const report = await bench(options);
  process.stdout.write(`\n${renderMarkdown(report)}`);
  if (options.out) {
    await mkdir(dirname(options.out), { recursive: true });
    // Three decimals are plenty for ms, MB and ratios.
    const rounded = (_key: string, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value)
        ? Math.round(value * 1000) / 1000
        : value;
    await writeFile(options.out, `${JSON.stringify(report, rounded, 2)}\n`);
    process.stderr.write(`\nreport written to ${options.out}\n`);
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  Child.killAll();
  process.stderr.write(
    `\nbench FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
