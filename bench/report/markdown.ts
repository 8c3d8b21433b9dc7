import type { Summary } from '../stats.js';
import type { TimingFigure } from '../timing-figures.js';
import type { JournalResult } from '../scenarios/journal.js';
import type { OverloadResult } from '../scenarios/overload.js';
import type { BenchReport } from './model.js';

const number = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "median (min–max)", or just the value when measured once. */
export const spread = (summary: Summary, digits = 0): string =>
  summary.samples.length === 1
    ? number(summary.median, digits)
    : `${number(summary.median, digits)} (${number(summary.min, digits)}–${number(summary.max, digits)})`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const ratio = (value: number | undefined): string =>
  value === undefined ? 'n/a' : `${value.toFixed(2)}×`;
const mark = (met: boolean | null): string =>
  met === null ? 'not measured' : met ? 'met' : '**not met**';

/** Median CPU seconds of each process, e.g. "client 3.1, server 4.0". */
const cpuText = (cpu: Record<string, Summary>): string =>
  Object.entries(cpu)
    .map(([name, ms]) => `${name} ${number(ms.median / 1000, 1)}`)
    .join(', ');

function timingRows(figures: readonly TimingFigure[]): string[][] {
  return figures.map((f) => [f.figure, f.source, spread(f.p50, 2), spread(f.p99, 2)]);
}

/** The report as Markdown: one table per scenario, then the targets. Figures: median (min–max). */
export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const parts: string[] = [];
  parts.push(
    `### Benchmark ${report.startedAt} (${report.options.profile as string}, ${report.options.repeat as number} repeats, ${Math.round(report.durationSeconds)} s)`,
    table(
      ['cpus', 'model', 'memory', 'node', 'os', 'load (1 min)', 'commit'],
      [
        [
          String(machine.cpus),
          machine.model,
          `${number(machine.totalMemoryMB / 1024, 1)} GB`,
          machine.node,
          machine.os,
          String(machine.loadAverage),
          machine.commit ?? '?',
        ],
      ],
    ),
  );
  if (Object.keys(report.settings).length > 0) {
    parts.push(
      `Settings from the environment: ${Object.entries(report.settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  }
  if (report.baselines.length > 0) {
    parts.push(
      '#### Baselines: bare Nest TCP `send()`, Task payload',
      table(
        ['baseline', 'connections × window', 'messages', 'msg/s'],
        report.baselines.map((b) => [
          b.kind,
          `${b.connections} × ${b.window}`,
          number(b.messages),
          spread(b.msgsPerSecond),
        ]),
      ),
    );
  }
  if (report.e2e.length > 0) {
    parts.push(
      '#### End to end: delay_range=0, GET wait=saved until the last line is flushed',
      table(
        [
          'system',
          'shape',
          'tasks/s (bench wall time)',
          'wall ms',
          'tasks/s (elapsedMs)',
          '÷ 1-hop',
          '÷ 2-hop',
          'CPU s per run',
        ],
        report.e2e.map((e) => [
          e.variant,
          e.shape,
          spread(e.tasksPerSecond),
          spread(e.wallMs),
          spread(e.tasksPerSecondByElapsed),
          ratio(e.ratioTo1Hop),
          ratio(e.ratioTo2Hop),
          cpuText(e.cpuMs),
        ]),
      ),
    );
  }
  const { seed } = report;
  if (seed?.skipped) {
    parts.push(`#### Seed replica: skipped, ${seed.skipped}`);
  } else if (seed) {
    parts.push(
      `#### Seed replica (bench/seed/: four Python aiohttp services, ${seed.python ?? '?'}), delay_range=0, until the save service wrote every line`,
      table(
        ['shape', 'tasks', 'tasks/s', 'wall ms', 'acked ms (GET answered)', 'CPU s per run'],
        seed.runs.map((r) => [
          r.shape,
          number(r.total),
          spread(r.tasksPerSecond),
          spread(r.wallMs),
          spread(r.ackedMs),
          cpuText(r.cpuMs),
        ]),
      ),
      'Each variant at the same shapes (GET wait=saved), and ÷ the seed replica:',
      table(
        ['system', 'shape', 'tasks/s', '÷ seed'],
        seed.pipeline.map((p) => [
          p.variant,
          p.shape,
          spread(p.tasksPerSecond),
          ratio(p.ratioToSeed),
        ]),
      ),
    );
  }
  const { latency } = report;
  if (latency) {
    parts.push(
      `#### Latency: ${latency.variant}, ${number(latency.tasks)} tasks on ${latency.connections} connections × window ${latency.window} (${spread(latency.acksPerSecond)} acks/s)`,
      table(['figure (ms)', 'source', 'p50', 'p99'], timingRows(latency.figures)),
    );
  }
  for (const d of report.delay) {
    parts.push(
      `#### delay_range=${d.delaySeconds} s: ${d.variant}, ${d.shape}`,
      table(
        ['send ms', 'total ms', 'ideal ms (send + D)', 'over ideal ms', 'total ÷ ideal'],
        [
          [
            spread(d.sendMs),
            spread(d.totalMs),
            spread(d.idealMs),
            spread(d.overheadMs),
            spread(d.ratio, 3),
          ],
        ],
      ),
      table(['figure (ms)', 'source', 'p50', 'p99'], timingRows(d.figures)),
    );
  }
  const { runs: memoryRuns, growth } = report.memory;
  for (const variant of new Set(memoryRuns.map((r) => r.variant))) {
    const runs = memoryRuns.filter((r) => r.variant === variant);
    const names = Object.keys(runs[0].peakMB);
    parts.push(
      `#### Memory: peak RSS (VmHWM) per process of ${variant}, fresh processes per size, MB`,
      table(
        ['shape', 'tasks', ...names.map((n) => `${n}: peak (at start)`), 'tasks/s (cold)'],
        runs.map((r) => [
          r.shape,
          number(r.total),
          ...names.map((n) => `${number(r.peakMB[n], 1)} (${number(r.startMB[n], 1)})`),
          number(r.tasksPerSecond),
        ]),
      ),
    );
    const grew = growth.find((g) => g.variant === variant);
    if (grew) {
      parts.push(
        `Growth ${grew.from} → ${grew.to}: ${Object.entries(grew.ratio)
          .map(([n, v]) => `${n} ${v.toFixed(2)}×`)
          .join(', ')}`,
      );
    }
  }
  if (report.journal) parts.push(...journalSection(report.journal));
  if (report.overload) parts.push(...overloadSection(report.overload));
  parts.push(
    '#### Targets (figures of this run only)',
    table(
      ['area', 'target', 'measured (median)', 'met'],
      report.targets.map((t) => [t.area, t.target, t.value, mark(t.met)]),
    ),
  );
  if (report.notes.length > 0) parts.push(report.notes.map((note) => `- ${note}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** Polite clients beside a flood of clients that ignore Retry-After, on one monolith. */
function overloadSection(overload: OverloadResult): string[] {
  const row = (kind: string, phase: OverloadResult['polite']) => [
    `${phase.clients} ${kind}`,
    phase.runsPerSecond.median.toFixed(1),
    `${phase.runsPerSecond.min.toFixed(1)}–${phase.runsPerSecond.max.toFixed(1)}`,
    number(phase.refusedPerSecond.median),
    number(phase.p50Ms.median),
    number(phase.p99Ms.median),
  ];
  return [
    `#### Overload: monolith-tcp, runs of ${overload.run}, ${overload.seconds} s per phase`,
    table(
      ['clients', 'runs/s completed', 'min–max', '429/s', 'p50 ms', 'p99 ms'],
      [
        row('polite (wait Retry-After)', overload.polite),
        row('flooding (ask again at once)', overload.flood),
      ],
    ),
    `Flood ÷ polite: ${overload.ratioToPolite.toFixed(2)}× (runs completed per second, medians).`,
  ];
}

/** Goals of the run journal: its cost beside no journal, and how soon a killed run sends again. */
const JOURNAL_GOALS = { minRatioToOff: 0.9, maxResumeMs: 2000 };

function journalSection(journal: JournalResult): string[] {
  const { throughput, resume, size } = journal;
  const modes = ['off', 'write', 'fsync'] as const;
  return [
    `#### Run journal: monolith-tcp ${throughput.shape} end to end by JOURNAL mode (goal: ≥ ${JOURNAL_GOALS.minRatioToOff}× off)`,
    table(
      ['JOURNAL', 'tasks/s (median)', 'min–max', '× off', 'goal met'],
      modes.map((mode) => {
        const ratio = mode === 'off' ? 1 : throughput.ratioToOff[mode];
        const figure = throughput.tasksPerSecond[mode];
        return [
          mode,
          number(figure.median),
          `${number(figure.min)}–${number(figure.max)}`,
          ratio.toFixed(2),
          mode === 'off' ? '' : mark(ratio >= JOURNAL_GOALS.minRatioToOff),
        ];
      }),
    ),
    `Resume after kill -9 of a monolith sending a ${number(resume.total)}-task run ` +
      `(${number(resume.sentBeforeKill)} sent, journal ${number(resume.journalBytesAtKill / 1e6, 1)} MB): ` +
      `HTTP answers after ${number(resume.readyMs.median)} ms, the run sends again after ` +
      `${number(resume.sendingAgainMs.median)} ms (median; goal ≤ ${JOURNAL_GOALS.maxResumeMs} ms: ` +
      `${mark(resume.sendingAgainMs.median <= JOURNAL_GOALS.maxResumeMs)}).`,
    `Journal size after ${size.runs} runs of ${number(size.tasksPerRun)} tasks: ` +
      `${number(size.finalBytes / 1e3, 1)} KB (largest on the way ${number(size.largestBytes / 1e6, 1)} MB).`,
  ];
}
