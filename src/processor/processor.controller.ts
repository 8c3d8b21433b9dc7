import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { concat, from, ignoreElements, map, of, type Observable } from 'rxjs';
import { taskFields } from '../common/contracts/contract-fields.js';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import { taskProblem } from '../common/contracts/guards.js';
import { ACK, type Ack, type PingAnswer, type Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import { acknowledgesToBroker } from '../common/transport/transport-options.js';
import { ProcessorService } from './processor.service.js';

@Controller()
export class ProcessorController {
  private readonly holdUntilHandedOff: boolean;

  constructor(
    private readonly processor: ProcessorService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.holdUntilHandedOff = acknowledgesToBroker(settings);
  }

  /**
   * Answers as soon as the task is taken (at once when there is room); the work happens after the
   * task's random delay. Where the broker takes an acknowledgement (RabbitMQ), the handler goes on
   * until the result is with the saver, so the task is acknowledged only then and a processor that
   * dies holding it leaves it to another.
   */
  /** Readiness: this processor answers; it takes nothing. */
  @MessagePattern(Patterns.processorPing)
  ping(): PingAnswer {
    return { ready: true, instance: this.processor.id };
  }

  @MessagePattern(Patterns.processorTask)
  async take(
    @Payload(new ContractPipe(taskProblem, taskFields)) task: Task,
  ): Promise<Ack | Observable<Ack>> {
    const { handedOff } = await this.processor.take(task);
    if (!this.holdUntilHandedOff) return ACK;
    const done = from(handedOff).pipe(
      map((ok) => {
        if (!ok) throw new Error(`run ${task.runId} seq ${task.seq}: not handed to the saver`);
      }),
      ignoreElements(),
    );
    return concat(of(ACK), done);
  }
}
