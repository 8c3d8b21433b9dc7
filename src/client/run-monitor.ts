import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SaverStatus, SaverStatusQuery } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { InjectPeerLink } from '../common/transport/peer-link.provider.js';
import type { PeerLink } from '../common/transport/peer-link.js';
import type { Run } from './run.js';
import { describe, TaskSender } from './task-sender.js';

/** Most missing seqs asked for, and sent again, in one repair round. */
const REPAIR_BATCH = 100_000;

/**
 * Follows a run at the saver until its file is complete, and repairs gaps: a seq still missing
 * once every result could have arrived (delay_range + REPAIR_GRACE_MS after the last send) is sent
 * again. Gives up after REPAIR_ROUNDS rounds in a row that did not move the file forward.
 */
@Injectable()
export class RunMonitor {
  private readonly logger = new Logger(RunMonitor.name);
  private readonly unavailable = new ThrottledLog(this.logger, 'warn');

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @InjectPeerLink('saver') private readonly saver: PeerLink,
    private readonly sender: TaskSender,
  ) {}

  async follow(run: Run, signal: AbortSignal): Promise<void> {
    const patienceMs = run.shape.delayRange * 1000 + this.settings.repair.graceMs;
    let quietSince = Date.now();
    let written = -1;
    let fruitlessRounds = 0;
    while (!signal.aborted) {
      const status = await this.status(run, 0);
      if (status) {
        run.observe(status);
        if (status.state === 'completed') return;
        // A saver whose write failed reopens the run from its file on the next message: a failed
        // state is only "no progress" here, and the repair rounds go on.
        if (status.written > written) {
          // The file moves: whatever it waits for may still be on its way.
          written = status.written;
          fruitlessRounds = 0;
          quietSince = Date.now();
        }
      }
      if (Date.now() - quietSince >= patienceMs) {
        if (fruitlessRounds >= this.settings.repair.rounds) {
          run.fail(
            `gave up after ${fruitlessRounds} repair round(s); the file waits for seq ${run.view().waitingFor}`,
          );
          return;
        }
        fruitlessRounds++;
        await this.repair(run);
        quietSince = Date.now();
      }
      await sleep(this.settings.statusPollMs, undefined, { signal }).catch(() => undefined);
    }
    // Stopping: settle the run, so that a request waiting for it (wait=saved) is answered and the
    // HTTP server can close.
    run.fail('the client stopped before the file was complete');
  }

  private async repair(run: Run): Promise<void> {
    const status = await this.status(run, REPAIR_BATCH);
    const missing = status?.missing.filter((seq) => seq <= run.sent) ?? [];
    if (missing.length === 0) return;
    this.logger.warn(
      `run ${run.runId}: sending ${missing.length} missing task(s) again, from seq ${missing[0]}`,
    );
    await this.sender.resend(run, missing);
  }

  private async status(run: Run, missingLimit: number): Promise<SaverStatus | undefined> {
    const query: SaverStatusQuery = { runId: run.runId, total: run.total, missingLimit };
    try {
      return await this.saver.send<SaverStatus>(Patterns.saverStatus, query);
    } catch (error) {
      run.noteError(`saver status unavailable: ${describe(error)}`);
      this.unavailable.report(`run ${run.runId}: saver status unavailable (${describe(error)})`);
      return undefined;
    }
  }
}
