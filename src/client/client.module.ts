import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { providePeerLink } from '../common/transport/peer-link.provider.js';
import { ProgressStream } from './progress/progress-stream.js';
import { RunRecorder } from './report/run-recorder.js';
import { RunReports } from './report/run-reports.js';
import { RunEvents } from './run-events.js';
import { RunMonitor } from './run-monitor.js';
import { RunProgressController } from './run-progress.controller.js';
import { RunReportController } from './run-report.controller.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { TaskSender } from './task-sender.js';

/** HTTP API that starts runs, sends their tasks to the server and follows them to the saver. */
@Module({
  controllers: [RunsController, RunProgressController, RunReportController],
  providers: [
    RunsService,
    TaskSender,
    RunMonitor,
    RunEvents,
    ProgressStream,
    RunRecorder,
    RunReports,
    providePeerLink('saver'),
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({
        transform: true,
        whitelist: true,
        forbidNonWhitelisted: true,
      }),
    },
  ],
})
export class ClientModule {}
