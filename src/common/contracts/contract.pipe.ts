import { Logger, type PipeTransform } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ThrottledLog } from '../throttled-log.js';
import type { Contract } from './contract.js';

/**
 * Checks a message against its contract before a handler sees it, and hands the handler the
 * contract's fields only. A bad message is answered with an RPC error naming the field and never
 * reaches a file. It is logged through a throttle (one line per second with a count): a peer
 * sending bad messages in a loop would otherwise write a line for each.
 */
export class ContractPipe<T> implements PipeTransform<unknown, T> {
  private static readonly logger = new Logger(ContractPipe.name);
  private readonly refusals = new ThrottledLog(ContractPipe.logger, 'warn');

  constructor(private readonly contract: Contract<T>) {}

  transform(value: unknown): T {
    const problem = this.contract.problem(value);
    if (problem !== undefined) {
      this.refusals.report(`rejected a message: ${problem}`);
      throw new RpcException(problem);
    }
    return this.contract.fields(value as T);
  }
}
