import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import {
  type Batch,
  type BatchAnswer,
  type PingAnswer,
  type Result,
  type ResultReceipt,
  type SaverReport,
  type SaverReportQuery,
  type SaverRunRef,
  type SaverStatus,
  type SaverStatusQuery,
} from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { INSTANCE_ID } from '../common/instance-id.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { answerEach } from '../common/delivery/batch-answers.js';
import { outputDirProblem } from './output-dir.js';
import { SaverReportRecorder } from './report/saver-report-recorder.js';
import { SaverService } from './saver.service.js';

@Controller()
export class SaverController {
  constructor(
    private readonly saver: SaverService,
    private readonly recorder: SaverReportRecorder,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** Readiness: this saver answers and can write its OUTPUT_DIR; opens nothing. */
  @MessagePattern(Patterns.saverPing)
  async ping(): Promise<PingAnswer> {
    const reason = await outputDirProblem(this.settings.outputDir);
    return { ready: reason === undefined, instance: INSTANCE_ID, ...(reason ? { reason } : {}) };
  }

  @MessagePattern(Patterns.saverOpen)
  open(@Payload(ContractPipe.for(Patterns.saverOpen)) run: SaverRunRef): Promise<SaverStatus> {
    return this.saver.open(run);
  }

  /** A batch: one `ResultReceipt` (or refusal) per result, in the batch's order. */
  @MessagePattern(Patterns.saverResults)
  saveAll(
    @Payload(ContractPipe.for(Patterns.saverResults))
    batch: Batch<Result>,
  ): Promise<BatchAnswer<ResultReceipt>> {
    return answerEach(batch.items, (result) => this.saver.accept(result));
  }

  /** One result, for a peer that sends one at a time. */
  @MessagePattern(Patterns.saverResult)
  save(@Payload(ContractPipe.for(Patterns.saverResult)) result: Result): Promise<ResultReceipt> {
    return this.saver.accept(result);
  }

  @MessagePattern(Patterns.saverStatus)
  status(
    @Payload(ContractPipe.for(Patterns.saverStatus)) query: SaverStatusQuery,
  ): Promise<SaverStatus> {
    return this.saver.status(query);
  }

  @MessagePattern(Patterns.saverCancel)
  cancel(@Payload(ContractPipe.for(Patterns.saverCancel)) run: SaverRunRef): Promise<SaverStatus> {
    return this.saver.cancel(run);
  }

  @MessagePattern(Patterns.saverReport)
  report(
    @Payload(ContractPipe.for(Patterns.saverReport)) query: SaverReportQuery,
  ): Promise<SaverReport> {
    return this.recorder.reportOf(query.runId);
  }
}
