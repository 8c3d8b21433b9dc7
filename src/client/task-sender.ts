import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import { from, lastValueFrom, merge, mergeMap, range, type Observable } from 'rxjs';
import type { Ack, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import {
  requestWithRetry,
  retryPolicy,
  type RetryPolicy,
} from '../common/transport/request-with-retry.js';
import { clientOptions } from '../common/transport/transport-options.js';
import type { Run } from './run.js';

const randomValue = (): number => Math.floor(Math.random() * 2 ** 31);

/** Sends a run's tasks to the server: one connection (one `ClientProxy`) per `connection_count`. */
@Injectable()
export class TaskSender {
  private readonly logger = new Logger(TaskSender.name);
  private readonly policy: RetryPolicy;
  private readonly unacknowledged = new ThrottledLog(this.logger, 'warn');

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    this.policy = retryPolicy(settings);
  }

  /**
   * Opens every connection and sends on all at once; each connection sends its tasks in idx order,
   * pipelined. What a run has in flight waits somewhere (at the server, in a broker), so the run as
   * a whole keeps to `RUN_WINDOW`: each connection gets `SEND_WINDOW` slots, fewer when there are
   * so many connections that together they would exceed it (at least one each). Resolves when
   * every task is acknowledged or has failed.
   */
  async sendRun(run: Run): Promise<void> {
    const { connectionCount, connectionValue } = run.shape;
    const { sendWindow, runWindow } = this.settings;
    const window = Math.max(1, Math.min(sendWindow, Math.floor(runWindow / connectionCount)));
    await this.withConnections(connectionCount, (proxies) =>
      merge(
        ...proxies.map((proxy, at) =>
          range(1, connectionValue).pipe(
            // mergeMap calls its projection only when a window slot is free: the seq is taken then.
            mergeMap(
              (idx) => this.deliver(proxy, run.nextTask(at + 1, idx, randomValue()), run, 'acked'),
              window,
            ),
          ),
        ),
      ),
    );
  }

  /** Sends tasks of the run again, unchanged (the saver drops any it already has). */
  async resend(run: Run, seqs: readonly number[]): Promise<void> {
    await this.withConnections(1, ([proxy]) =>
      from(seqs).pipe(
        mergeMap(
          (seq) => this.deliver(proxy, run.task(seq), run, 'resent'),
          this.settings.sendWindow,
        ),
      ),
    );
  }

  private async withConnections(
    count: number,
    send: (proxies: ClientProxy[]) => Observable<void>,
  ): Promise<void> {
    const proxies = Array.from({ length: count }, () =>
      ClientProxyFactory.create(clientOptions(this.settings, 'server')),
    );
    try {
      await lastValueFrom(send(proxies), { defaultValue: undefined });
    } finally {
      await Promise.all(proxies.map(async (proxy) => void (await proxy.close())));
    }
  }

  /** Sends one task; counts it acknowledged (or resent), or failed once every retry is spent. */
  private async deliver(
    proxy: ClientProxy,
    task: Task,
    run: Run,
    count: 'acked' | 'resent',
  ): Promise<void> {
    try {
      await requestWithRetry<Ack>(proxy, Patterns.serverTask, task, this.policy);
      run[count]++;
    } catch (error) {
      if (count === 'acked') run.failed++;
      run.noteError(`seq ${task.seq} not acknowledged: ${describe(error)}`);
      this.unacknowledged.report(
        `run ${run.runId} seq ${task.seq}: not acknowledged (${describe(error)})`,
      );
    }
  }
}

/** A readable line for an error of any transport (an Error, a string, a broker's error object). */
export const describe = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === 'string'
      ? error
      : JSON.stringify(error);
