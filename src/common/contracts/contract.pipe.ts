import { Inject, Injectable, Logger, type PipeTransform, type Type } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { PipelineMetrics } from '../../ops/pipeline-metrics.js';
import type { Settings } from '../settings/settings.js';
import { SETTINGS } from '../settings/settings.module.js';
import { ThrottledLog } from '../throttled-log.js';
import type { Contract } from './contract.js';
import {
  MessageSignature,
  SIGNATURE_FIELD,
  SIGNATURE_REFUSALS,
  type SignatureRefusal,
} from './message-signature.js';
import {
  PATTERN_CONTRACTS,
  type MessageOfPattern,
  type MessagePattern,
} from './pattern-contracts.js';

/** What a refused signature is told: it names no key and no secret. */
const SAYS: Record<SignatureRefusal, string> = {
  unsigned: 'the message is not signed, and this peer takes signed messages only (MESSAGE_KEY)',
  bad_signature: 'the message signature does not match it',
  unknown_key: 'the message is signed with a key this peer does not have (MESSAGE_KEYS)',
};

/**
 * Checks a message against its pattern's contract before a handler sees it, then (with
 * MESSAGE_KEY) its signature, and hands the handler the contract's fields only. A message that
 * fails is answered with an RPC error naming the field or the reason and never reaches a file;
 * a refused signature is counted (`pipeline_messages_refused_total{reason}`). Both are logged
 * through a throttle: a peer sending bad messages in a loop would otherwise write a line for each.
 * `ContractPipe.for(pattern)` is the pipe of one pattern, for `@Payload`.
 */
export class ContractPipe<T> implements PipeTransform<unknown, T> {
  private static readonly logger = new Logger(ContractPipe.name);
  private readonly refusals = new ThrottledLog(ContractPipe.logger, 'warn');
  private readonly contract: Contract<T>;

  constructor(
    private readonly pattern: MessagePattern,
    private readonly signature: MessageSignature | undefined,
    private readonly refused?: (reason: SignatureRefusal) => void,
  ) {
    this.contract = PATTERN_CONTRACTS[pattern] as unknown as Contract<T>;
  }

  /** The pipe of `pattern`, made by Nest with the context's settings and metrics. */
  static for<P extends MessagePattern>(
    pattern: P,
  ): Type<PipeTransform<unknown, MessageOfPattern<P>>> {
    @Injectable()
    class PatternContractPipe extends ContractPipe<MessageOfPattern<P>> {
      constructor(@Inject(SETTINGS) settings: Settings, metrics: PipelineMetrics) {
        const signature = MessageSignature.of(settings);
        super(pattern, signature, (reason) => metrics.messagesRefused.inc({ reason }));
        // Every reason from the start, at 0: a rate over a series that appears late misses its first.
        if (signature)
          for (const reason of SIGNATURE_REFUSALS) metrics.messagesRefused.inc({ reason }, 0);
      }
    }
    return PatternContractPipe;
  }

  transform(value: unknown): T {
    const problem = this.contract.problem(value);
    if (problem !== undefined) return this.refuse(`rejected a message: ${problem}`, problem);
    const fields = this.contract.fields(value as T);
    if (this.signature) {
      const given = (value as Record<string, unknown>)[SIGNATURE_FIELD];
      const refusal = this.signature.refusalOf(this.pattern, fields as object, given);
      if (refusal !== undefined) {
        this.refused?.(refusal);
        return this.refuse(`refused a ${this.pattern} message: ${SAYS[refusal]}`, SAYS[refusal]);
      }
    }
    return fields;
  }

  private refuse(logged: string, answered: string): never {
    this.refusals.report(logged);
    throw new RpcException(answered);
  }
}
