import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SaverRunRef, SaverStatus, SaverStatusQuery } from '../common/contracts/messages.js';
import { MAX_MISSING_LIMIT } from '../common/contracts/bounds.js';
import { Patterns } from '../common/contracts/patterns.js';
import { describeError } from '../common/describe-error.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { InjectSaverLinks } from '../common/delivery/peer-link.provider.js';
import type { SaverLinks } from '../common/delivery/saver-links.js';
import type { Run } from './run.js';
import { TaskSender, type RunConnections } from './task-sender.js';

/** Most missing seqs asked for, and sent again, in one repair round. */
const REPAIR_BATCH = 100_000;

/**
 * Follows a run at the saver from its first task until its file is complete: the saver's progress
 * slides the run's send window, a gap is repaired, and every way of getting stuck ends in bounded
 * time with its cause:
 * - a seq still missing once every result could have arrived (delay_range + REPAIR_GRACE_MS with
 *   no progress) is sent again, on the run's connections; after REPAIR_ROUNDS rounds in a row
 *   that did not move the file, the run fails;
 * - a saver that cannot be reached for DELIVERY_TIMEOUT_MS fails the run, naming it;
 * - a saver that could not write fails the run with its error (the errno and the file).
 */
@Injectable()
export class RunMonitor {
  private readonly logger = new Logger(RunMonitor.name);
  private readonly unavailable = new ThrottledLog(this.logger, 'warn');

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @InjectSaverLinks() private readonly savers: SaverLinks,
    private readonly sender: TaskSender,
  ) {}

  async follow(run: Run, connections: RunConnections): Promise<void> {
    const patienceMs = run.shape.delayRange * 1000 + this.settings.repair.graceMs;
    let quietSince = Date.now();
    let unreachableSince: number | undefined;
    let written = -1;
    let fruitlessRounds = 0;
    let opened = false;
    while (!run.signal.aborted) {
      // The run's file is opened first: until then the run sends nothing (its window is closed).
      const status: SaverStatus | string = opened
        ? await this.status(run, 0)
        : await this.open(run);
      opened ||= typeof status !== 'string';
      if (typeof status === 'string') {
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince >= this.settings.deliveryTimeoutMs) {
          run.fail(status);
          return;
        }
      } else if (status.state === 'unknown') {
        // The saver has no trace of the run (its OUTPUT_DIR lost the file): open it again.
        opened = false;
      } else {
        unreachableSince = undefined;
        run.observe(status);
        if (status.state === 'completed') return;
        if (status.state === 'failed') {
          run.fail(`the saver could not write the file: ${status.error ?? 'no reason given'}`);
          return;
        }
        if (status.written > written) {
          // The file moves: whatever it waits for may still be on its way.
          written = status.written;
          fruitlessRounds = 0;
          quietSince = Date.now();
        }
      }
      // Until the file is open there is nothing to repair: the saver's absence is bounded by
      // DELIVERY_TIMEOUT_MS above, not by repair rounds (a saver still starting failed the run).
      if (!opened) quietSince = Date.now();
      else if (Date.now() - quietSince >= patienceMs) {
        if (fruitlessRounds >= this.settings.repair.rounds) {
          const cause = run.view().lastError;
          run.fail(
            `gave up after ${fruitlessRounds} repair round(s) without progress; the file waits ` +
              `for seq ${run.view().waitingFor}${cause === undefined ? '' : ` (last error: ${cause})`}`,
          );
          return;
        }
        // A round counts only when it sent something: a seq still in its first send (waiting
        // out a full processor, say) is on its way, and its own bounds end it if it is stuck.
        if (await this.repair(run, connections, patienceMs)) fruitlessRounds++;
        quietSince = Date.now();
      }
      await sleep(this.settings.statusPollMs, undefined, { signal: run.signal }).catch(
        () => undefined,
      );
    }
  }

  private async open(run: Run): Promise<SaverStatus | string> {
    const message: SaverRunRef = { runId: run.runId, total: run.total };
    try {
      return await this.savers.of(run.runId).sendOnce<SaverStatus>(Patterns.saverOpen, message);
    } catch (error) {
      const reason = describeError(error);
      run.noteError(reason);
      this.unavailable.report(`run ${run.runId}: could not open its file: ${reason}`);
      return reason;
    }
  }

  /**
   * For a resumed run, before it sends anything new: asks the saver which of the seqs an earlier
   * life took it lacks, and sends those again, unchanged (the saver drops any it has by then).
   * Until the run's file is open (`follow` opens it) there is nothing to ask; a saver away for
   * DELIVERY_TIMEOUT_MS fails the run, as in `follow`.
   */
  async sendAgainAfterRestart(run: Run, connections: RunConnections): Promise<void> {
    const taken = run.sent;
    const since = Date.now();
    while (!run.signal.aborted) {
      const status = await this.status(run, Math.min(taken, MAX_MISSING_LIMIT));
      if (typeof status !== 'string' && status.state !== 'unknown') {
        // Completed, failed or cancelled at the saver: `follow` ends the run with that.
        if (status.state !== 'writing') return;
        const missing = status.missing.filter((seq) => seq <= taken);
        if (missing.length === 0) return;
        this.logger.log(
          `run ${run.runId} resumed: sending ${missing.length} task(s) the saver lacks again, ` +
            `from seq ${missing[0]}`,
        );
        await this.sender.resend(run, connections, missing);
        return;
      }
      if (Date.now() - since >= this.settings.deliveryTimeoutMs) {
        run.fail(
          `resumed, but the saver did not answer: ${typeof status === 'string' ? status : 'the file is not open'}`,
        );
        return;
      }
      await sleep(this.settings.statusPollMs, undefined, { signal: run.signal }).catch(
        () => undefined,
      );
    }
  }

  /**
   * The lines on disk now, asked from the saver within `withinMs` (the run's view takes them), or
   * undefined when it did not answer in time.
   */
  async writtenNow(run: Run, withinMs: number): Promise<number | undefined> {
    const status = await Promise.race([
      this.status(run, 0),
      sleep(withinMs, undefined, { ref: false }),
    ]);
    if (status === undefined || typeof status === 'string' || status.state === 'unknown') {
      return undefined;
    }
    run.observe(status);
    return status.written;
  }

  /** Tells the saver to close the run's file (the run was cancelled). */
  async closeAtSaver(run: Run): Promise<void> {
    const message: SaverRunRef = { runId: run.runId, total: run.total };
    try {
      await this.savers.of(run.runId).sendOnce(Patterns.saverCancel, message);
    } catch (error) {
      run.noteError(`the saver did not take the cancel: ${describeError(error)}`);
    }
  }

  /** Sends again what the saver lacks; answers whether there was anything to send. */
  private async repair(
    run: Run,
    connections: RunConnections,
    patienceMs: number,
  ): Promise<boolean> {
    const status = await this.status(run, REPAIR_BATCH);
    // No answer from the saver: not a round. Its absence is bounded by DELIVERY_TIMEOUT_MS (in
    // `follow`); counted here too, a broker away for REPAIR_ROUNDS × (delay_range +
    // REPAIR_GRACE_MS) failed a run whose saver was back well within DELIVERY_TIMEOUT_MS.
    if (typeof status === 'string') return false;
    // A seq whose first send is not answered yet is on its way, not missing; so is one answered
    // less than the patience ago (taken late, it may still be in its delay).
    const missing = status.missing.filter((seq) => run.answeredAgo(seq, patienceMs));
    if (missing.length === 0) return false;
    run.recordRepairRound();
    this.logger.warn(
      `run ${run.runId}: sending ${missing.length} missing task(s) again, from seq ${missing[0]}`,
    );
    await this.sender.resend(run, connections, missing);
    return true;
  }

  /** The saver's view of the run, or why it could not be had. */
  private async status(run: Run, missingLimit: number): Promise<SaverStatus | string> {
    const query: SaverStatusQuery = { runId: run.runId, total: run.total, missingLimit };
    try {
      return await this.savers.of(run.runId).sendOnce<SaverStatus>(Patterns.saverStatus, query);
    } catch (error) {
      const reason = describeError(error);
      run.noteError(reason);
      this.unavailable.report(`run ${run.runId}: no status: ${reason}`);
      return reason;
    }
  }
}
