import { Module } from '@nestjs/common';
import { SaverReportRecorder } from './report/saver-report-recorder.js';
import { SaverController } from './saver.controller.js';
import { SaverObservers } from './saver-observers.js';
import { SaverOps } from './saver-ops.js';
import { SaverService } from './saver.service.js';

/** Reorders processed results and appends them to each run's file in send order. */
@Module({
  controllers: [SaverController],
  providers: [SaverService, SaverObservers, SaverReportRecorder, SaverOps],
})
export class SaverModule {}
