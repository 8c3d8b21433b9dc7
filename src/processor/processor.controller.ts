import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
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
import { BrokerSettlement } from '../common/transport/rmq/broker-settlement.js';
import { ProcessorService } from './processor.service.js';

/**
 * Answers as soon as the tasks are taken (at once when there is room); the work happens after
 * each task's random delay. Where the broker takes an acknowledgement (RabbitMQ), the handler
 * goes on until every result of the message is with the saver (`BrokerSettlement`), so a
 * processor that dies holding a batch leaves all of it to another.
 */
@Controller()
export class ProcessorController {
  constructor(
    private readonly processor: ProcessorService,
    private readonly settlement: BrokerSettlement,
  ) {}

  /** Readiness: this processor answers; it takes nothing. */
  @MessagePattern(Patterns.processorPing)
  ping(): PingAnswer {
    return { ready: true, instance: this.processor.id };
  }

  /** A batch: one `Ack` (or refusal) per task, in the batch's order. */
  @MessagePattern(Patterns.processorTasks)
  async takeAll(
    @Payload(ContractPipe.for(Patterns.processorTasks))
    batch: Batch<Task>,
  ): Promise<BatchAnswer<Ack> | Observable<BatchAnswer<Ack>>> {
    const handedOff: Promise<boolean>[] = [];
    const answer = await answerEach(batch.items, async (task) => {
      const taken = await this.processor.take(task);
      handedOff.push(taken.handedOff);
      return ACK;
    });
    const done = () => Promise.all(handedOff).then((all) => all.every(Boolean));
    // A refused task was not taken: the message's sender sends it again, so the broker's copy
    // must not wait for it.
    return this.settlement.answerThenSettle(
      answer,
      done,
      `a batch of ${batch.items.length} task(s)`,
    );
  }

  /** One task, for a peer that sends one at a time. */
  @MessagePattern(Patterns.processorTask)
  async take(
    @Payload(ContractPipe.for(Patterns.processorTask)) task: Task,
  ): Promise<Ack | Observable<Ack>> {
    const { handedOff } = await this.processor.take(task);
    return this.settlement.answerThenSettle<Ack>(
      ACK,
      () => handedOff,
      `run ${task.runId} seq ${task.seq}`,
    );
  }
}
