import { Logger, type PipeTransform } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ThrottledLog } from '../throttled-log.js';

/**
 * Checks a message against one of the contract guards (`taskProblem`, …) before a handler sees it,
 * and hands the handler the contract's fields only (`taskFields`, …). A bad message is answered with an RPC error and never reaches a file. It is logged through a
 * throttle (one line per second with a count): a peer sending bad messages in a loop would
 * otherwise write a line for each.
 */
export class ContractPipe<T> implements PipeTransform<unknown, T> {
  private static readonly logger = new Logger(ContractPipe.name);
  private readonly refusals = new ThrottledLog(ContractPipe.logger, 'warn');

  constructor(
    private readonly problemOf: (value: unknown) => string | undefined,
    private readonly fieldsOf: (value: T) => T,
  ) {}

  transform(value: unknown): T {
    const problem = this.problemOf(value);
    if (problem !== undefined) {
      this.refusals.report(`rejected a message: ${problem}`);
      throw new RpcException(problem);
    }
    return this.fieldsOf(value as T);
  }
}
