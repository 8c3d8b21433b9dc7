import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { StrictValidationPipe } from '../common/http/strict-validation.pipe.js';
import { providePeerLink } from '../common/transport/peer-link.provider.js';
import { ClientOps } from './client-ops.js';
import { RunEvents } from './run-events.js';
import { RunLog } from './run-log.js';
import { RunMonitor } from './run-monitor.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { TaskSender } from './task-sender.js';
import { TooManyRunsFilter } from './too-many-runs.filter.js';

/** HTTP API that starts runs, sends their tasks to the server and follows them to the saver. */
@Module({
  controllers: [RunsController],
  providers: [
    RunsService,
    TaskSender,
    RunMonitor,
    RunEvents,
    providePeerLink('saver'),
    // Only for readiness pings: the tasks go on connections of their own run.
    providePeerLink('server'),
    ClientOps,
    RunLog,
    { provide: APP_PIPE, useClass: StrictValidationPipe },
    { provide: APP_FILTER, useClass: TooManyRunsFilter },
  ],
})
export class ClientModule {}
