import { isFinal } from '../common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { SaverStatus, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { loadSettings } from '../common/settings/environment.js';
import { PeerUnreachableError } from '../common/delivery/peer-link.js';
import type { SaverLinks } from '../common/delivery/saver-links.js';
import { RunMonitor } from './run-monitor.js';
import { Run } from './run.js';
import { RunConnections, type TaskSender } from './task-sender.js';

const RUN_ID = 'run-monitor-1';
const FILE = `data/${RUN_ID}.jsonl`;
const SAVER = 'saver at 127.0.0.1:5003';

const settings = (env: Record<string, string> = {}) =>
  loadSettings({
    STATUS_POLL_MS: '5',
    REPAIR_GRACE_MS: '10000',
    REPAIR_ROUNDS: '2',
    REQUEST_TIMEOUT_MS: '100',
    DELIVERY_TIMEOUT_MS: '100',
    LOG_LEVEL: 'error',
    ...env,
  });

const status = (overrides: Partial<SaverStatus> = {}): SaverStatus => ({
  runId: RUN_ID,
  state: 'writing',
  written: 0,
  waitingFor: (overrides.written ?? 0) + 1,
  buffered: 0,
  duplicates: 0,
  stalledMs: 0,
  missing: [],
  file: FILE,
  ...overrides,
});

interface SaverCall {
  readonly pattern: string;
  readonly message: { runId: string; total: number; missingLimit?: number };
}

/**
 * A saver link that answers what `answer` says for each call (an Error is thrown, as the real
 * link throws a transport failure), and records the calls.
 */
function fakeSaver(answer: (call: SaverCall, index: number) => SaverStatus | Error) {
  const calls: SaverCall[] = [];
  const link = {
    peer: SAVER,
    sendOnce: (pattern: string, message: SaverCall['message']) => {
      const call = { pattern, message };
      calls.push(call);
      const reply = answer(call, calls.length - 1);
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
    },
  };
  // The links to one saver: every run is its.
  return { link: { of: () => link } as unknown as SaverLinks, calls };
}

/** A task sender that records what it is asked to send again, and calls `onResend` each time. */
function fakeSender(onResend: (seqs: readonly number[]) => void = () => undefined) {
  const resends: { connections: RunConnections; seqs: readonly number[] }[] = [];
  const sender = {
    resend: (_run: Run, connections: RunConnections, seqs: readonly number[]) => {
      resends.push({ connections, seqs: [...seqs] });
      onResend(seqs);
      return Promise.resolve();
    },
  };
  return { sender: sender as unknown as TaskSender, resends };
}

/** An admitted run of `total` tasks on one connection; records when it reached each state. */
function newRun(total: number, window = 10) {
  const reached = new Map<string, number>();
  const run = new Run(RUN_ID, { connectionCount: 1, connectionValue: total, delayRange: 0 }, '', {
    reorderWindow: window,
    seed: 1,
    publish: (event) => {
      if (event.kind === 'state') reached.set(event.run.current, Date.now());
    },
  });
  run.admit();
  return { run, reached };
}

/** Sends seqs 1..count of the run (as the task sender would), acknowledging those in `acked`. */
function sendTasks(run: Run, count: number, acked: (seq: number) => boolean): Task[] {
  const tasks: Task[] = [];
  for (let idx = 1; idx <= count; idx++) {
    const task = run.nextTask(1, idx);
    if (acked(task.seq)) run.recordAck(task);
    tasks.push(task);
  }
  return tasks;
}

/** Waits until the run has ended (checking every few ms), at most `boundMs`. */
async function untilFinal(run: Run, boundMs = 5000): Promise<void> {
  const giveUpAt = Date.now() + boundMs;
  while (!isFinal(run.current)) {
    if (Date.now() > giveUpAt) throw new Error(`run still ${run.current} after ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe(RunMonitor.name, () => {
  const connections = new RunConnections([]);

  /** Follows the run as the client does, with a monitor of `settings(env)`, until it has ended. */
  async function followToTheEnd(
    run: Run,
    saver: SaverLinks,
    {
      env = {},
      sender = fakeSender().sender,
    }: { env?: Record<string, string>; sender?: TaskSender } = {},
  ): Promise<void> {
    const sut = new RunMonitor(settings(env), saver, sender);
    const following = sut.follow(run, connections);
    await untilFinal(run);
    await following;
  }

  beforeAll(() => {
    // The monitor warns about every saver it cannot reach: expected here.
    Logger.overrideLogger(false);
  });

  afterAll(() => {
    Logger.overrideLogger(new Logger());
  });

  it('opens the run at the saver, follows it, and completes when the saver says completed', async () => {
    const { run } = newRun(3);
    let polls = 0;
    const saver = fakeSaver(({ pattern }) => {
      if (pattern === Patterns.saverOpen) return status();
      polls++;
      return polls < 3 ? status({ written: polls }) : status({ state: 'completed', written: 3 });
    });

    await followToTheEnd(run, saver.link);

    expect(run.current).toBe('completed');
    expect(run.view()).toMatchObject({ written: 3, file: FILE });
    expect(saver.calls[0]).toEqual({
      pattern: Patterns.saverOpen,
      message: { runId: RUN_ID, total: 3 },
    });
    expect(saver.calls.slice(1).map((call) => call.pattern)).toEqual(
      Array(3).fill(Patterns.saverStatus),
    );
  });

  it("fails with the saver's error when the saver could not write the file", async () => {
    const { run } = newRun(3);
    const error = `ENOSPC: no space left on device, write '${FILE}'`;
    const saver = fakeSaver(({ pattern }) =>
      pattern === Patterns.saverOpen ? status() : status({ state: 'failed', written: 1, error }),
    );

    await followToTheEnd(run, saver.link);

    expect(run.current).toBe('failed');
    expect(run.view().error).toBe(`the saver could not write the file: ${error}`);
  });

  it('fails naming the saver once it has been unreachable for DELIVERY_TIMEOUT_MS', async () => {
    const { run, reached } = newRun(3);
    const saver = fakeSaver(
      () => new PeerUnreachableError(SAVER, new Error('connect ECONNREFUSED')),
    );
    const started = Date.now();

    await followToTheEnd(run, saver.link);

    expect(run.current).toBe('failed');
    expect(run.view().error).toBe(`${SAVER}: connect ECONNREFUSED`);
    expect(reached.get('failed')! - started).toBeGreaterThanOrEqual(100);
    // Never opened: it kept asking to open, and the run's window stayed shut.
    expect(saver.calls.every((call) => call.pattern === Patterns.saverOpen)).toBe(true);
    expect(saver.calls.length).toBeGreaterThan(1);
  });

  it('counts the DELIVERY_TIMEOUT_MS of an unreachable saver afresh once it answered again', async () => {
    const { run } = newRun(3);
    const down = new PeerUnreachableError(SAVER, new Error('connect ECONNREFUSED'));
    // Down for 60 ms, up for three answers, down for 60 ms more, then the run is complete:
    // 120 ms down in all, never 100 in a row.
    let phase = 0;
    let phaseStart = Date.now();
    let answered = 0;
    const saver = fakeSaver(({ pattern }) => {
      const next = () => {
        phase++;
        phaseStart = Date.now();
      };
      if (phase === 0 || phase === 2) {
        if (Date.now() - phaseStart < 60) return down;
        next();
      }
      if (phase === 1) {
        if (++answered === 3) next();
        return pattern === Patterns.saverOpen ? status() : status({ written: 1 });
      }
      return status({ state: 'completed', written: 3 });
    });

    await followToTheEnd(run, saver.link);

    expect(run.view().error).toBeUndefined();
    expect(run.current).toBe('completed');
  });

  it('repairs only the missing seqs whose first send was answered, on the run’s connections', async () => {
    const { run } = newRun(4);
    // Seq 2 is still on its first send: on its way, not missing. Seq 4 was never sent.
    sendTasks(run, 3, (seq) => seq !== 2);
    let repaired = false;
    const saver = fakeSaver(({ pattern, message }) => {
      if (pattern === Patterns.saverOpen) return status();
      if (repaired) return status({ state: 'completed', written: 4 });
      return status({ missing: (message.missingLimit ?? 0) > 0 ? [1, 2, 3, 4] : [] });
    });
    const { sender, resends } = fakeSender(() => (repaired = true));

    await followToTheEnd(run, saver.link, { env: { REPAIR_GRACE_MS: '20' }, sender });

    expect(run.current).toBe('completed');
    expect(resends.map(({ seqs }) => seqs)).toEqual([[1, 3]]);
    expect(resends[0].connections).toBe(connections);
    expect(run.view().repairRounds).toBe(1);
  });

  it('does not send again a seq answered less than delay_range + REPAIR_GRACE_MS ago, though the file was quiet that long', async () => {
    const { run } = newRun(2);
    // Seq 1 is answered now; seq 2 only when the repair looks (it waited for room, say): it may
    // still be in its delay then, whatever the file did before.
    const [, second] = sendTasks(run, 2, (seq) => seq === 1);
    let repaired = false;
    const saver = fakeSaver(({ pattern, message }) => {
      if (pattern === Patterns.saverOpen) return status();
      if (repaired) return status({ state: 'completed', written: 2 });
      if ((message.missingLimit ?? 0) === 0) return status();
      if (run.view().acked < 2) run.recordAck(second);
      return status({ missing: [1, 2] });
    });
    const { sender, resends } = fakeSender(() => (repaired = true));

    await followToTheEnd(run, saver.link, { env: { REPAIR_GRACE_MS: '50' }, sender });

    expect(resends.map(({ seqs }) => seqs)).toEqual([[1]]);
  });

  it('starts no repair round when no missing seq has been answered yet', async () => {
    const { run } = newRun(2);
    sendTasks(run, 2, () => false);
    const started = Date.now();
    const saver = fakeSaver(({ pattern, message }) => {
      if (pattern === Patterns.saverOpen) return status();
      if (Date.now() - started > 200) return status({ state: 'completed', written: 2 });
      return status({ missing: (message.missingLimit ?? 0) > 0 ? [1, 2] : [] });
    });
    const { sender, resends } = fakeSender();

    await followToTheEnd(run, saver.link, {
      env: { REPAIR_GRACE_MS: '20', REPAIR_ROUNDS: '100' },
      sender,
    });

    // The monitor did look (a status with a missing list), but sent nothing again.
    expect(saver.calls.some((call) => (call.message.missingLimit ?? 0) > 0)).toBe(true);
    expect(resends).toEqual([]);
    expect(run.view().repairRounds).toBe(0);
  });

  it('fails after REPAIR_ROUNDS fruitless rounds, naming the seq the file waits for and the last error', async () => {
    const { run } = newRun(4);
    const [, , third] = sendTasks(run, 4, (seq) => seq !== 3);
    run.recordFailure(third, 'seq 3 not acknowledged: server at 127.0.0.1:5001: socket hang up');
    const saver = fakeSaver(({ pattern }) =>
      pattern === Patterns.saverOpen ? status() : status({ written: 2, buffered: 1, missing: [3] }),
    );
    const { sender, resends } = fakeSender();

    await followToTheEnd(run, saver.link, {
      env: { REPAIR_GRACE_MS: '20', REPAIR_ROUNDS: '2' },
      sender,
    });

    expect(run.current).toBe('failed');
    expect(run.view().error).toBe(
      'gave up after 2 repair round(s) without progress; the file waits for seq 3 ' +
        '(last error: seq 3 not acknowledged: server at 127.0.0.1:5001: socket hang up)',
    );
    expect(resends.map(({ seqs }) => seqs)).toEqual([[3], [3]]);
  });

  it('counts repair rounds afresh when a repair moved the file', async () => {
    const { run } = newRun(4);
    sendTasks(run, 4, () => true);
    let written = 1;
    const saver = fakeSaver(({ pattern }) => {
      if (pattern === Patterns.saverOpen) return status({ written });
      if (written === 4) return status({ state: 'completed', written });
      return status({ written, missing: [written + 1] });
    });
    // Each repair brings exactly one line: three rounds in all, never two fruitless in a row.
    const { sender, resends } = fakeSender(() => written++);

    await followToTheEnd(run, saver.link, {
      env: { REPAIR_GRACE_MS: '20', REPAIR_ROUNDS: '1' },
      sender,
    });

    expect(run.current).toBe('completed');
    expect(resends.map(({ seqs }) => seqs)).toEqual([[2], [3], [4]]);
  });

  it('does not count a saver that is away as repair rounds: DELIVERY_TIMEOUT_MS bounds it', async () => {
    const { run } = newRun(4);
    sendTasks(run, 4, () => true);
    const down = new PeerUnreachableError(SAVER, new Error('Connection lost'));
    // Open, one line written, then away (a broker restarting) for 150 ms: many times the
    // repair's patience (20 ms) × REPAIR_ROUNDS, well within DELIVERY_TIMEOUT_MS. Then complete.
    let awaySince: number | undefined;
    const saver = fakeSaver(({ pattern }) => {
      if (pattern === Patterns.saverOpen) return status({ written: 1 });
      awaySince ??= Date.now();
      if (Date.now() - awaySince < 150) return down;
      return status({ state: 'completed', written: 4 });
    });
    const { sender, resends } = fakeSender();

    await followToTheEnd(run, saver.link, {
      env: { REPAIR_GRACE_MS: '20', REPAIR_ROUNDS: '2', DELIVERY_TIMEOUT_MS: '1000' },
      sender,
    });

    expect(run.view().error).toBeUndefined();
    expect(run.current).toBe('completed');
    expect(resends).toEqual([]);
  });

  it('opens the run again when the saver answers that it does not know it', async () => {
    const { run } = newRun(3);
    let unknownOnce = true;
    let reopened = false;
    const saver = fakeSaver(({ pattern }) => {
      if (pattern === Patterns.saverOpen) {
        reopened = !unknownOnce;
        return status();
      }
      if (unknownOnce) {
        unknownOnce = false;
        return status({ state: 'unknown', file: '' });
      }
      return reopened ? status({ state: 'completed', written: 3 }) : status();
    });

    await followToTheEnd(run, saver.link);

    expect(run.current).toBe('completed');
    expect(saver.calls.map((call) => call.pattern).slice(0, 4)).toEqual([
      Patterns.saverOpen,
      Patterns.saverStatus,
      Patterns.saverOpen,
      Patterns.saverStatus,
    ]);
  });

  it("opens the run's send window only once the saver has opened the run", async () => {
    const { run } = newRun(3, 2);
    let windowOpen = false;
    const first = run.credit.take();
    expect(first).toBeInstanceOf(Promise);
    void first?.then(() => (windowOpen = true));
    const openWhenAsked: boolean[] = [];
    const saver = fakeSaver(({ pattern }, index) => {
      if (pattern === Patterns.saverOpen) {
        openWhenAsked.push(windowOpen);
        return index < 2 ? new Error('connect ECONNREFUSED') : status();
      }
      return windowOpen ? status({ state: 'completed', written: 3 }) : status();
    });

    await followToTheEnd(run, saver.link);

    expect(openWhenAsked).toEqual([false, false, false]);
    expect(windowOpen).toBe(true);
    expect(run.view().lastError).toBe('connect ECONNREFUSED');
  });

  it('stops following a run that was cancelled', async () => {
    const { run } = newRun(3);
    const saver = fakeSaver(({ pattern }) => {
      if (pattern === Patterns.saverStatus) run.cancel();
      return status();
    });
    const sut = new RunMonitor(settings(), saver.link, fakeSender().sender);

    await sut.follow(run, connections);

    expect(run.current).toBe('cancelled');
    expect(saver.calls).toHaveLength(2);
  });
});
