import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import { taskProblem } from '../common/contracts/guards.js';
import { ACK, type Ack, type Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { ProcessorService } from './processor.service.js';

@Controller()
export class ProcessorController {
  constructor(private readonly processor: ProcessorService) {}

  /** Answers at once; the work happens after the task's random delay. */
  @MessagePattern(Patterns.processorTask)
  take(@Payload(new ContractPipe(taskProblem)) task: Task): Ack {
    this.processor.schedule(task);
    return ACK;
  }
}
