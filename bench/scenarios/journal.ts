import { PipelineApi } from '../../src/cli/api.js';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RunJournal } from '../../src/client/journal/run-journal.js';
import { Run } from '../../src/client/run.js';
import { HEAP_FLAGS } from '../../src/common/heap-flags.js';
import type { Settings } from '../../src/common/settings/settings.js';
import { Child } from '../../harness/child.js';
import { runOverHttp, shapeName, totalOf, type RunShape } from '../http.js';
import type { Log } from '../log.js';
import { BENCH_PORTS, SYSTEM_ENTRY } from '../paths.js';
import { freePort, waitForPort } from '../../harness/ports.js';
import { summarize, type Summary } from '../stats.js';
import { startUnderTest } from '../systems/system-under-test.js';
import type { SystemVariant } from '../systems/variants.js';
import { verifyAndDrop } from './checked-run.js';

/** Polls every `everyMs`, for as long as a resumed run may take on a busy machine. */
const PATIENT = (everyMs: number) => ({ everyMs, withinMs: 600_000 });

/** The journal's modes, measured in turn on the same shape: `off` is the baseline. */
const MODES = ['off', 'write', 'fsync'] as const;

export interface JournalResult {
  /** Tasks/s end to end (wait=saved) of a monolith with each JOURNAL mode, and the ratio to `off`. */
  readonly throughput: {
    readonly shape: string;
    readonly tasksPerSecond: Record<(typeof MODES)[number], Summary>;
    readonly ratioToOff: Record<'write' | 'fsync', number>;
  };
  /**
   * A monolith killed (SIGKILL) while a run of `total` tasks sends, then started again: ms from the
   * new process's spawn until it answers HTTP, and until the run sends again (new seqs or tasks
   * sent again).
   */
  readonly resume: {
    readonly total: number;
    readonly sentBeforeKill: number;
    readonly journalBytesAtKill: number;
    readonly readyMs: Summary;
    readonly sendingAgainMs: Summary;
  };
  /**
   * The journal alone, driven as the client drives it (seqs taken, groups written, runs ended):
   * its size after `runs` runs of `tasksPerRun` tasks, and the largest it was on the way.
   */
  readonly size: {
    readonly runs: number;
    readonly tasksPerRun: number;
    readonly finalBytes: number;
    readonly largestBytes: number;
  };
}

export interface JournalOptions {
  readonly shape: RunShape;
  readonly repeat: number;
  readonly resumeShape: RunShape;
  readonly sizeRuns: number;
  readonly sizeTasksPerRun: number;
  readonly childNodeArgs: readonly string[];
}

export async function runJournal(
  monolith: SystemVariant,
  options: JournalOptions,
  log: Log,
): Promise<JournalResult> {
  return {
    throughput: await throughput(monolith, options, log),
    resume: await resume(options, log),
    size: await size(options, log),
  };
}

async function throughput(
  monolith: SystemVariant,
  options: JournalOptions,
  log: Log,
): Promise<JournalResult['throughput']> {
  log.step(`journal: ${shapeName(options.shape)} end to end with JOURNAL=${MODES.join(' / ')}`);
  const rates = new Map<string, number[]>(MODES.map((mode) => [mode, []]));
  // Interleaved, one system per mode kept warm, so drift on a shared machine hits every mode alike.
  const systems = [];
  for (const mode of MODES) {
    systems.push({
      mode,
      sut: await startUnderTest(
        {
          ...monolith,
          name: `${monolith.name}-journal-${mode}`,
          env: { ...monolith.env, JOURNAL: mode },
        },
        { nodeArgs: options.childNodeArgs },
      ),
    });
  }
  try {
    for (const { sut } of systems)
      await runOverHttp(sut.baseUrl, { ...options.shape, values: 100 }, 0, 'saved');
    for (let at = 1; at <= options.repeat; at++) {
      for (const { mode, sut } of systems) {
        const { view, wallMs } = await runOverHttp(sut.baseUrl, options.shape, 0, 'saved');
        await verifyAndDrop(sut, view, options.shape);
        const rate = totalOf(options.shape) / (wallMs / 1000);
        rates.get(mode)?.push(rate);
        log.detail(`JOURNAL=${mode} ${shapeName(options.shape)}: ${Math.round(rate)} tasks/s`);
      }
    }
  } finally {
    for (const { sut } of systems) await sut.close();
  }
  const summaries = Object.fromEntries(
    MODES.map((mode) => [mode, summarize(rates.get(mode) ?? [])]),
  ) as Record<(typeof MODES)[number], Summary>;
  return {
    shape: shapeName(options.shape),
    tasksPerSecond: summaries,
    ratioToOff: {
      write: summaries.write.median / summaries.off.median,
      fsync: summaries.fsync.median / summaries.off.median,
    },
  };
}

async function resume(options: JournalOptions, log: Log): Promise<JournalResult['resume']> {
  const total = totalOf(options.resumeShape);
  log.step(
    `journal: kill -9 of a monolith sending a ${total}-task run, then the time to resume it`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-bench-resume-'));
  const port = await freePort(BENCH_PORTS);
  const env = {
    OUTPUT_DIR: dir,
    LOG_LEVEL: 'warn',
    CLIENT_PORT: String(port),
    SERVER_PORT: String(await freePort(BENCH_PORTS)),
    PROCESSOR_PORT: String(await freePort(BENCH_PORTS)),
    SAVER_PORT: String(await freePort(BENCH_PORTS)),
    SERVER_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    SAVER_OPS_PORT: '0',
    MAX_TASKS: String(total),
  };
  const api = new PipelineApi(`http://127.0.0.1:${port}`);
  const start = (): Child =>
    Child.start('journal/monolith', SYSTEM_ENTRY, env, HEAP_FLAGS.monolith);
  const ready: number[] = [];
  const sendingAgain: number[] = [];
  let sentBeforeKill = 0;
  let journalBytesAtKill = 0;
  let child = start();
  try {
    await waitForPort(port, child.name);
    const { connections, values } = options.resumeShape;
    // Delays of up to 2 s, as in the kill -9 tests; each kill once the run has sent a further
    // share of its tasks, so the last life resumes the most.
    const { runId } = await api.start({ connections, values, delay: 2 });
    for (let at = 1; at <= options.repeat; at++) {
      const target = Math.floor((at * total) / (options.repeat + 1));
      const view = await api.until(runId, (now) => now.sent >= target, PATIENT(100));
      process.kill(child.pid, 'SIGKILL');
      await child.exitCode();
      sentBeforeKill = view.sent;
      journalBytesAtKill = (await stat(join(dir, 'state', 'journal'))).size;
      const spawned = performance.now();
      child = start();
      await waitForPort(port, child.name);
      ready.push(performance.now() - spawned);
      await api.until(runId, (now) => now.resent > 0 || now.sent > sentBeforeKill, PATIENT(10));
      sendingAgain.push(performance.now() - spawned);
      log.detail(
        `resumed after ${Math.round(sendingAgain.at(-1) ?? 0)} ms (HTTP after ${Math.round(ready.at(-1) ?? 0)} ms), ` +
          `${sentBeforeKill} sent before, journal ${journalBytesAtKill} bytes`,
      );
    }
  } finally {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    total,
    sentBeforeKill,
    journalBytesAtKill,
    readyMs: summarize(ready),
    sendingAgainMs: summarize(sendingAgain),
  };
}

async function size(options: JournalOptions, log: Log): Promise<JournalResult['size']> {
  const { sizeRuns: runs, sizeTasksPerRun: tasksPerRun } = options;
  log.step(`journal: its size after ${runs} runs of ${tasksPerRun} tasks (the journal alone)`);
  const dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-bench-journal-'));
  const settings = {
    state: { dir, journal: 'write', resume: 'auto', historyMax: 1000, historyDays: 30 },
  } as unknown as Settings;
  const journal = new RunJournal(settings);
  let largestBytes = 0;
  try {
    await journal.open();
    const connections = 100;
    for (let n = 1; n <= runs; n++) {
      const runId = `bench-${String(n).padStart(4, '0')}`;
      const shape = {
        connectionCount: connections,
        connectionValue: tasksPerRun / connections,
        delayRange: 0,
      };
      const run = new Run(runId, shape, `${runId}.jsonl`, { reorderWindow: tasksPerRun, seed: n });
      await journal.accepted(run, run.seed);
      run.admit();
      journal.admitted(run);
      // Groups of 256 seqs, as a busy client takes them between two writes.
      for (let seq = 1; seq <= tasksPerRun; seq++) {
        const conn = ((seq - 1) % connections) + 1;
        run.nextTask(conn, Math.ceil(seq / connections));
        const written = journal.sent(run);
        if (seq % 256 === 0 || seq === tasksPerRun) await written;
      }
      largestBytes = Math.max(largestBytes, journal.size);
      run.cancel('bench');
      await journal.ended(run);
    }
    // One more record, so a compaction the last end asked for has run.
    const last = new Run(
      'bench-last',
      { connectionCount: 1, connectionValue: 1, delayRange: 0 },
      'x',
      {
        reorderWindow: 1,
        seed: 0,
      },
    );
    await journal.accepted(last, 0);
    const finalBytes = journal.size;
    log.detail(`journal: ${finalBytes} bytes after ${runs} runs (largest ${largestBytes})`);
    return { runs, tasksPerRun, finalBytes, largestBytes };
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}
