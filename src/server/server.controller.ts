import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { ContractPipe } from '../common/contracts/contract.pipe.js';
import type { Ack, PingAnswer, Task } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { INSTANCE_ID } from '../common/instance-id.js';
import { InjectHop } from '../common/delivery/hops.js';
import { PeerUnreachableError, type ItemSend } from '../common/delivery/peer-link.js';
import { isHandlerError, upstreamUnreachable } from '../common/delivery/refusal.js';

@Controller()
export class ServerController {
  constructor(@InjectHop('processor') private readonly toProcessor: ItemSend<Task, Ack>) {}

  /** Readiness: this server answers (its own peers are its ops port's concern). */
  @MessagePattern(Patterns.serverPing)
  ping(): PingAnswer {
    return { ready: true, instance: INSTANCE_ID };
  }

  /**
   * Hands the task to the processor and relays its acknowledgement. The hop's retries fit in
   * half the client's timeout; when they are spent, the client hears why (the processor, its
   * address, the error) instead of timing out. A refusal (the processor is full) goes back as it is.
   */
  @MessagePattern(Patterns.serverTask)
  async relay(@Payload(ContractPipe.for(Patterns.serverTask)) task: Task): Promise<Ack> {
    try {
      return await this.toProcessor(task);
    } catch (error) {
      if (error instanceof PeerUnreachableError) throw upstreamUnreachable(error.message);
      // The processor's own answer (a refusal for now, a contract error) goes back as it came.
      if (isHandlerError(error)) throw new RpcException(error);
      throw error;
    }
  }
}
