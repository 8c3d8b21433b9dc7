import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { resultFields, statusQueryFields } from '../common/contracts/contract-fields.js';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import { resultProblem, statusQueryProblem } from '../common/contracts/guards.js';
import type {
  Result,
  ResultReceipt,
  SaverStatus,
  SaverStatusQuery,
} from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { SaverService } from './saver.service.js';

@Controller()
export class SaverController {
  constructor(private readonly saver: SaverService) {}

  @MessagePattern(Patterns.saverResult)
  save(
    @Payload(new ContractPipe(resultProblem, resultFields)) result: Result,
  ): Promise<ResultReceipt> {
    return this.saver.accept(result);
  }

  @MessagePattern(Patterns.saverStatus)
  status(
    @Payload(new ContractPipe(statusQueryProblem, statusQueryFields)) query: SaverStatusQuery,
  ): Promise<SaverStatus> {
    return this.saver.status(query);
  }
}
