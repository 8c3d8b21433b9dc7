import { Logger, type PipeTransform } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';

/**
 * Checks a message against one of the contract guards (`taskProblem`, …) before a handler sees it.
 * A bad message is logged and answered with an RPC error; it never reaches a file.
 */
export class ContractPipe<T> implements PipeTransform<unknown, T> {
  private static readonly logger = new Logger(ContractPipe.name);

  constructor(private readonly problemOf: (value: unknown) => string | undefined) {}

  transform(value: unknown): T {
    const problem = this.problemOf(value);
    if (problem !== undefined) {
      ContractPipe.logger.warn(`rejected a message: ${problem}`);
      throw new RpcException(problem);
    }
    return value as T;
  }
}
