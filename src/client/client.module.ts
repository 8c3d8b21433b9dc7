import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { StrictValidationPipe } from '../common/http/strict-validation.pipe.js';
import { providePeerLink, provideSaverLinks } from '../common/delivery/peer-link.provider.js';
import { ProgressStream } from './progress/progress-stream.js';
import { RunRecorder } from './report/run-recorder.js';
import { RunReports } from './report/run-reports.js';
import { ClientOps } from './client-ops.js';
import { RunEvents } from './run-events.js';
import { RunJournal } from './journal/run-journal.js';
import { RunLog } from './run-log.js';
import { RunMonitor } from './run-monitor.js';
import { RunProgressController } from './run-progress.controller.js';
import { RunReportController } from './run-report.controller.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { StartRefusal } from './start-refusal.js';
import { TaskSender } from './task-sender.js';
import { RetryLaterFilter } from './retry-later.filter.js';

/** HTTP API that starts runs, sends their tasks to the server and follows them to the saver. */
@Module({
  controllers: [RunsController, RunProgressController, RunReportController],
  providers: [
    RunsService,
    RunJournal,
    TaskSender,
    RunMonitor,
    RunEvents,
    ProgressStream,
    RunRecorder,
    RunReports,
    provideSaverLinks(),
    // Only for readiness pings: the tasks go on connections of their own run.
    providePeerLink('server'),
    ClientOps,
    RunLog,
    StartRefusal,
    { provide: APP_PIPE, useClass: StrictValidationPipe },
    { provide: APP_FILTER, useClass: RetryLaterFilter },
  ],
})
export class ClientModule {}
