import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import {
  ACK,
  type Ack,
  type Batch,
  type BatchAnswer,
  type PingAnswer,
  type Task,
} from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { answerEach } from '../common/delivery/batch-answers.js';
import { ProcessorService } from './processor.service.js';

/**
 * Answers as soon as the tasks are taken (at once when there is room); the work happens after
 * each task's random delay, and each task declares it as its message's work
 * (`ProcessorService.take`), for a transport that settles a message only once that is done.
 */
@Controller()
export class ProcessorController {
  constructor(private readonly processor: ProcessorService) {}

  /** Readiness: this processor answers; it takes nothing. */
  @MessagePattern(Patterns.processorPing)
  ping(): PingAnswer {
    return { ready: true, instance: this.processor.id };
  }

  /** A batch: one `Ack` (or refusal) per task, in the batch's order. */
  @MessagePattern(Patterns.processorTasks)
  takeAll(
    @Payload(ContractPipe.for(Patterns.processorTasks))
    batch: Batch<Task>,
  ): Promise<BatchAnswer<Ack>> {
    return answerEach(batch.items, async (task) => {
      await this.processor.take(task);
      return ACK;
    });
  }

  /** One task, for a peer that sends one at a time. */
  @MessagePattern(Patterns.processorTask)
  async take(@Payload(ContractPipe.for(Patterns.processorTask)) task: Task): Promise<Ack> {
    await this.processor.take(task);
    return ACK;
  }
}
