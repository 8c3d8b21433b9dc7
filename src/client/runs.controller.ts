import { Controller, Get, HttpStatus, NotFoundException, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RUN_ID_PATTERN } from '../common/contracts/guards.js';
import { RunLimitsPipe } from './run-limits.pipe.js';
import { RunQueryDto } from './run-query.dto.js';
import type { RunView } from './run.js';
import { RunsService } from './runs.service.js';

@Controller()
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  /**
   * Starts a run. Answers when every task is acknowledged (`wait=acked`), when the file is complete
   * (`wait=saved`), or at once with 202 (`wait=none`).
   */
  @Get()
  async start(
    @Query(RunLimitsPipe) query: RunQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunView> {
    const run = this.runs.start({
      connectionCount: query.connection_count,
      connectionValue: query.connection_value,
      delayRange: query.delay_range,
    });
    if (query.wait === 'none') {
      void reply.status(HttpStatus.ACCEPTED);
      return run.view();
    }
    await (query.wait === 'saved' ? run.settled : run.acknowledged);
    return run.view();
  }

  @Get('runs/:runId')
  find(@Param('runId') runId: string): RunView {
    const run = RUN_ID_PATTERN.test(runId) ? this.runs.find(runId) : undefined;
    if (!run) throw new NotFoundException(`run ${runId} is unknown`);
    return run.view();
  }
}
