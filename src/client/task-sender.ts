import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import type { Ack, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { describeError } from '../common/describe-error.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import {
  requestWithRetry,
  sendPolicy,
  type RetryPolicy,
} from '../common/delivery/request-with-retry.js';
import { greet } from '../common/delivery/connection-greeting.js';
import { clientOptions, describePeer } from '../common/transport/transport-options.js';
import { RunJournal } from './journal/run-journal.js';
import type { Run } from './run.js';
import { signerOf, type Sign } from '../common/contracts/message-signature.js';

/**
 * Calls `send(0)`, `send(1)`, … `send(count - 1)` in order, at most `window` at a time: `send(at)`
 * is called only once a slot is free (so whatever it takes when called, a seq, is taken then), and
 * none is called once `signal` is aborted. Resolves when every call has settled (or it stopped).
 * A loop of `window` workers rather than an RxJS `mergeMap`: that allocated an inner Observable,
 * its subscribers and a subscription for every task of every connection. `send` must not reject.
 */
export async function inWindow(
  count: number,
  window: number,
  signal: AbortSignal,
  send: (at: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !signal.aborted) await send(next++);
  };
  const workers: Promise<void>[] = [];
  for (let slot = 0; slot < Math.min(window, count); slot++) workers.push(worker());
  await Promise.all(workers);
}

/** The connections of one run: one `ClientProxy` per `connection_count`, open while the run lives. */
export class RunConnections {
  constructor(readonly proxies: readonly ClientProxy[]) {}

  async close(): Promise<void> {
    await Promise.all(this.proxies.map(async (proxy) => void (await proxy.close())));
  }
}

/**
 * Sends a run's tasks to the server, on the run's own connections. A task that cannot be
 * delivered within DELIVERY_TIMEOUT_MS ends its run `failed`, with the last error as the cause.
 */
@Injectable()
export class TaskSender {
  private readonly logger = new Logger(TaskSender.name);
  private readonly policy: RetryPolicy;
  /** Signs each task once (MESSAGE_KEY): a resend is the same bytes. */
  private readonly sign: Sign;
  private readonly unacknowledged = new ThrottledLog(this.logger, 'warn');

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly journal: RunJournal,
  ) {
    this.policy = sendPolicy(settings);
    this.sign = signerOf(settings);
  }

  open(run: Run): RunConnections {
    return new RunConnections(
      // On TCP with SERVER_ADDRESSES, connection k goes to server k (round the list).
      Array.from({ length: run.shape.connectionCount }, (_, at) =>
        ClientProxyFactory.create(clientOptions(this.settings, 'server', at)),
      ),
    );
  }

  /**
   * Sends on every connection at once; each connection sends its tasks in idx order, pipelined.
   * What a run has in flight waits somewhere (at the server, in a broker), so the run as a whole
   * keeps to `RUN_WINDOW`: each connection gets `SEND_WINDOW` slots, fewer when there are so many
   * connections that together they would exceed it (at least one each). Resolves when every task
   * is acknowledged or has failed, or at once when the run is stopped (no new task leaves then).
   * `first` runs once the connections are open, before any new task leaves (a resumed run sends
   * again there what the saver lacks); then each connection goes on after its last task.
   */
  async sendRun(
    run: Run,
    connections: RunConnections,
    first: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const { connectionValue } = run.shape;
    const window = this.windowOf(run);
    if (!(await this.opened(run, connections))) return;
    await first();
    if (run.signal.aborted) return;
    await this.drain(
      run,
      connections.proxies.map((proxy, at) => {
        const conn = at + 1;
        const first = run.firstIdx(conn);
        return inWindow(connectionValue - first + 1, window, run.signal, (offset) =>
          this.sendNext(run, proxy, conn, first + offset),
        );
      }),
    );
  }

  /**
   * Whether every connection of the run is served (`greet`), before any task leaves: no task's
   * timeout runs while the server has yet to accept its connection, and while the run's
   * connections open the server's event loop is not busy with the run's tasks, so it accepts them
   * quickly. A server that cannot be reached fails the run.
   */
  private async opened(run: Run, connections: RunConnections): Promise<boolean> {
    try {
      await Promise.all(
        connections.proxies.map((proxy) =>
          greet(this.settings, proxy, Patterns.serverPing, this.policy, run.signal),
        ),
      );
      return !run.signal.aborted;
    } catch (error) {
      if (run.signal.aborted) return false;
      const reason = `a connection did not open: ${describePeer(this.settings, 'server')}: ${describeError(error)}`;
      this.unacknowledged.report(`run ${run.runId} ${reason}`);
      run.fail(reason);
      return false;
    }
  }

  /**
   * Waits for the run's credit, then takes the next seq and sends it once the journal holds it
   * (nothing once the run stopped): a restart then knows every seq that may have reached the saver.
   */
  private async sendNext(run: Run, proxy: ClientProxy, conn: number, idx: number): Promise<void> {
    const credit = run.credit.take();
    if (credit) await credit;
    if (run.signal.aborted) return;
    const task = run.nextTask(conn, idx);
    const journaled = this.journal.sent(run);
    if (journaled) {
      try {
        await journaled;
      } catch (error) {
        const reason = `seq ${task.seq} could not be journaled: ${describeError(error)}`;
        this.unacknowledged.report(`run ${run.runId} ${reason}`);
        run.fail(reason);
        return;
      }
      if (run.signal.aborted) return;
    }
    await this.deliver(proxy, task, run, 'acked');
  }

  /**
   * Sends tasks of the run again, unchanged (the saver drops any it already has), each on the
   * connection it was first sent on and with the run's window, so a repair goes as fast as a send.
   */
  async resend(run: Run, connections: RunConnections, seqs: readonly number[]): Promise<void> {
    const byConnection = new Map<number, Task[]>();
    for (const seq of seqs) {
      const task = run.task(seq);
      const tasks = byConnection.get(task.conn) ?? [];
      tasks.push(task);
      byConnection.set(task.conn, tasks);
    }
    const window = this.windowOf(run);
    await this.drain(
      run,
      [...byConnection].map(([conn, tasks]) =>
        inWindow(tasks.length, window, run.signal, (at) =>
          this.deliver(connections.proxies[conn - 1], tasks[at], run, 'resent'),
        ),
      ),
    );
  }

  private windowOf(run: Run): number {
    const { sendWindow, runWindow } = this.settings;
    return Math.max(1, Math.min(sendWindow, Math.floor(runWindow / run.shape.connectionCount)));
  }

  private async drain(run: Run, sends: readonly Promise<void>[]): Promise<void> {
    // Stopping the run ends the wait at once; requests still in flight settle on their own.
    const stopped = new Promise<void>((resolve) =>
      run.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([Promise.all(sends), stopped]);
  }

  /** Sends one task; counts it acknowledged (or resent), or failed once every retry is spent. */
  private async deliver(
    proxy: ClientProxy,
    task: Task,
    run: Run,
    count: 'acked' | 'resent',
  ): Promise<void> {
    try {
      const signed = this.sign(Patterns.serverTask, task);
      await requestWithRetry<Ack>(proxy, Patterns.serverTask, signed, this.policy, run.signal);
      if (count === 'acked') run.recordAck(task);
      else run.recordResent();
    } catch (error) {
      if (run.signal.aborted) return;
      // Every retry is spent (DELIVERY_TIMEOUT_MS): the peer has been away that long, and the run
      // ends now with the real cause rather than sending the rest into the same wall.
      const reason = `seq ${task.seq} not acknowledged: ${describeError(error)}`;
      if (count === 'acked') run.recordFailure(task, reason);
      this.unacknowledged.report(`run ${run.runId} ${reason}`);
      run.fail(reason);
    }
  }
}
