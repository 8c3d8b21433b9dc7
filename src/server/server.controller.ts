import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { taskFields } from '../common/contracts/contract-fields.js';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import { taskProblem } from '../common/contracts/guards.js';
import type { Ack, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { InjectPeerLink } from '../common/transport/peer-link.provider.js';
import type { PeerLink } from '../common/transport/peer-link.js';

@Controller()
export class ServerController {
  constructor(@InjectPeerLink('processor') private readonly processor: PeerLink) {}

  /** Hands the task to the processor and relays its acknowledgement. */
  @MessagePattern(Patterns.serverTask)
  relay(@Payload(new ContractPipe(taskProblem, taskFields)) task: Task): Promise<Ack> {
    return this.processor.send<Ack>(Patterns.processorTask, task);
  }
}
