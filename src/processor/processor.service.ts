import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Result, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { InjectPeerLink } from '../common/transport/peer-link.provider.js';
import type { PeerLink } from '../common/transport/peer-link.js';

/** Processes tasks after their random delay and hands each result to the saver. */
@Injectable()
export class ProcessorService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ProcessorService.name);
  /** host:pid, written on every result so that the spread over processor instances shows. */
  readonly id = `${hostname()}:${process.pid}`;
  /** Tasks taken and not yet handed to the saver, by run and seq. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly handOffFailures = new ThrottledLog(this.logger, 'error');

  constructor(
    @InjectPeerLink('saver') private readonly saver: PeerLink,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * Starts processing in the background. The promise (which never rejects) tells whether the
   * result reached the saver. A task this processor already holds (sent again after a timeout, or
   * redelivered) is not processed twice: it answers at once, the first copy does the work.
   */
  schedule(task: Task): Promise<boolean> {
    const key = `${task.runId}:${task.seq}`;
    if (this.inFlight.has(key)) return Promise.resolve(true);
    const work = this.process(task).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  /** Tasks taken but not yet handed to the saver. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Lets tasks in flight finish, within the shutdown bound, while the saver link is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.inFlight.size === 0) return;
    this.logger.log(`waiting for ${this.inFlight.size} task(s) in flight`);
    const bound = sleep(this.settings.shutdownTimeoutMs, 'timeout' as const, { ref: false });
    const outcome = await Promise.race([
      Promise.all(this.inFlight.values()).then(() => 'done' as const),
      bound,
    ]);
    if (outcome === 'timeout') {
      this.logger.warn(
        `${this.inFlight.size} task(s) still in flight at shutdown; the client's repair re-sends them`,
      );
    }
  }

  private async process(task: Task): Promise<boolean> {
    const delayMs = randomInt(0, Math.round(task.delayRange * 1000) + 1);
    if (delayMs > 0) await sleep(delayMs);
    const result: Result = { ...task, processedAt: Date.now(), delayMs, processor: this.id };
    try {
      await this.saver.send(Patterns.saverResult, result);
      return true;
    } catch (error) {
      // Not lost for good: the client asks the saver what is missing and sends it again.
      this.handOffFailures.report(
        `run ${task.runId} seq ${task.seq}: hand-off to the saver failed (${String(error)})`,
      );
      return false;
    }
  }
}
