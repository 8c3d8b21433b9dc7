import type { RunReport } from '../../common/contracts/http.js';
import { Injectable } from '@nestjs/common';
import type { SaverReport, SaverReportQuery } from '../../common/contracts/messages.js';
import { Patterns } from '../../common/contracts/patterns.js';
import { describeError } from '../../common/describe-error.js';
import { InjectSaverLinks } from '../../common/delivery/peer-link.provider.js';
import type { SaverLinks } from '../../common/delivery/saver-links.js';
import { RunJournal } from '../journal/run-journal.js';
import type { Run } from '../run.js';
import { RunRecorder } from './run-recorder.js';
import { summarize } from './run-report.js';

const EMPTY_PROGRESS = { t: [], columns: { sent: [], acked: [], written: [], failed: [] } };
const NO_ACKS = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };

/** Puts a run's report together: the client's own recording and what the saver recorded. */
@Injectable()
export class RunReports {
  constructor(
    private readonly recorder: RunRecorder,
    private readonly journal: RunJournal,
    @InjectSaverLinks() private readonly savers: SaverLinks,
  ) {}

  async of(run: Run): Promise<RunReport> {
    // A run of an earlier life of the client: what it recorded was kept when the run ended.
    const recording = this.recorder.recording(run.runId) ?? (await this.journal.report(run.runId));
    const [saver, saverError] = await this.askSaver(run.runId);
    const view = run.view();
    const ackMs = recording?.ackMs ?? NO_ACKS;
    return {
      run: view,
      startedAt: run.createdAt,
      summary: summarize(view, ackMs, saver),
      progress: recording?.progress ?? EMPTY_PROGRESS,
      saver,
      ...(saverError === undefined ? {} : { saverError }),
    };
  }

  /** One attempt: a report shows what it can rather than wait for a saver that is away. */
  private async askSaver(runId: string): Promise<[SaverReport | null, string?]> {
    const query: SaverReportQuery = { runId };
    try {
      return [await this.savers.of(runId).sendOnce<SaverReport>(Patterns.saverReport, query)];
    } catch (error) {
      return [null, describeError(error)];
    }
  }
}
