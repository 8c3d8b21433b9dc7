import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  Head,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RUN_ID_PATTERN } from '../common/contracts/bounds.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { ListRunsDto } from './list-runs.dto.js';
import { RunLimitsPipe } from './run-limits.pipe.js';
import { RunPageDto } from './run-page.dto.js';
import { RunViewDto } from './run-view.dto.js';
import { ClientStoppingException } from './retry-later.js';
import { RunsService } from './runs.service.js';
import { START_RUN_BODY, StartRunDto } from './start-run.dto.js';
import { ApiTokenGuard } from './api-token.guard.js';

const START_ERRORS = {
  [HttpStatus.BAD_REQUEST]: 'A parameter is unknown, or not a plain decimal within its bounds.',
  [HttpStatus.TOO_MANY_REQUESTS]: {
    description:
      'Runs are active and the queue is full (MAX_QUEUED_RUNS); `Retry-After` says when to try again.',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before trying again.',
        required: true,
        schema: { type: 'integer', minimum: 0 },
      },
    },
  },
  [HttpStatus.SERVICE_UNAVAILABLE]: {
    description:
      'The client is stopping (its message says what was on disk as it answered; the next start resumes the run), or the run could not be journaled.',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before asking again (the client restarting).',
        required: false,
        schema: { type: 'integer', minimum: 0 },
      },
    },
  },
};

/** `POST /runs` names the run it made, whether it waited (201) or not (202). */
const LOCATION = {
  Location: {
    description: 'The new run: `/runs/{runId}`.',
    required: true,
    schema: { type: 'string', example: '/runs/20261126T190510809Z-0004-ebdc6090' },
  },
} as const;

const runIdParam = ApiParam({
  name: 'runId',
  description: 'As `runId` in a run view.',
  example: '20261126T190510809Z-0004-ebdc6090',
});

@ApiTags('runs')
@Controller()
@UseGuards(ApiTokenGuard)
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  // Declared before `GET /`, so Fastify takes it instead of running the GET handler for HEAD.
  @Head()
  @ApiOperation({
    summary: 'Starts nothing',
    description: 'For `curl -I` and link checkers: `GET /` starts a run, `HEAD /` does not.',
  })
  @ApiOkResponse({ description: 'No body.' })
  probe(): void {
    return undefined;
  }

  @Get()
  @ApiOperation({
    summary: 'Starts a run (the original API)',
    description:
      'Answers when every task is acknowledged (`wait=acked`), when the file is complete (`wait=saved`), or at once with 202 (`wait=none`). `POST /runs` does the same as a resource.',
  })
  @ApiOkResponse({ type: RunViewDto, description: 'The run, once `wait` is met.' })
  @ApiAcceptedResponse({ type: RunViewDto, description: '`wait=none`: the run as it starts.' })
  @ApiErrors(START_ERRORS)
  async start(
    @Query(RunLimitsPipe) query: StartRunDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunViewDto> {
    return this.startAndWait(query, reply, HttpStatus.OK);
  }

  @Post('runs')
  @ApiOperation({
    summary: 'Starts a run',
    description:
      'The body takes the names of the `GET /` query. `Location` names the new run; `wait` as for `GET /`.',
  })
  @ApiBody({
    required: false,
    description: 'Every field is optional: its default applies.',
    schema: START_RUN_BODY,
  })
  @ApiCreatedResponse({
    type: RunViewDto,
    description: 'The run, once `wait` is met.',
    headers: LOCATION,
  })
  @ApiAcceptedResponse({
    type: RunViewDto,
    description: '`wait=none`: the run as it starts.',
    headers: LOCATION,
  })
  @ApiErrors(START_ERRORS)
  async create(
    @Body(RunLimitsPipe) body: StartRunDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunViewDto> {
    return this.startAndWait(body, reply, HttpStatus.CREATED);
  }

  @Get('runs')
  @ApiOperation({ summary: 'Lists runs, newest first' })
  @ApiOkResponse({ type: RunPageDto })
  @ApiErrors({ [HttpStatus.BAD_REQUEST]: 'A parameter is unknown or out of its bounds.' })
  list(@Query() query: ListRunsDto): RunPageDto {
    const { runs, total } = this.runs.list(query);
    return { runs: runs.map((run) => run.view()), total, limit: query.limit, offset: query.offset };
  }

  @Get('runs/:runId')
  @ApiOperation({ summary: 'One run, live' })
  @runIdParam
  @ApiOkResponse({ type: RunViewDto })
  @ApiErrors({ [HttpStatus.NOT_FOUND]: 'No such run (or no longer remembered).' })
  find(@Param('runId') runId: string): RunViewDto {
    const run = RUN_ID_PATTERN.test(runId) ? this.runs.find(runId) : undefined;
    if (!run) throw new NotFoundException(`run ${runId} is unknown`);
    return run.view();
  }

  @Delete('runs/:runId')
  @ApiOperation({
    summary: 'Cancels a run in progress',
    description:
      'Nothing more is sent; the saver closes the file with what it has. Cancelling a cancelled run answers it again.',
  })
  @runIdParam
  @ApiOkResponse({ type: RunViewDto, description: 'The run, `cancelled`.' })
  @ApiErrors({
    [HttpStatus.NOT_FOUND]: 'No such run (or no longer remembered).',
    [HttpStatus.CONFLICT]: 'The run had already ended another way.',
  })
  async cancel(@Param('runId') runId: string): Promise<RunViewDto> {
    const run = RUN_ID_PATTERN.test(runId) ? await this.runs.cancel(runId) : undefined;
    if (!run) throw new NotFoundException(`run ${runId} is unknown`);
    const view = run.view();
    if (view.state !== 'cancelled')
      throw new ConflictException(`run ${runId} has already ended: ${view.state}`);
    return view;
  }

  private async startAndWait(
    request: StartRunDto,
    reply: FastifyReply,
    status: HttpStatus,
  ): Promise<RunViewDto> {
    const run = await this.runs.start({
      connectionCount: request.connection_count,
      connectionValue: request.connection_value,
      delayRange: request.delay_range,
    });
    if (status === HttpStatus.CREATED) void reply.header('Location', `/runs/${run.runId}`);
    if (request.wait === 'none') {
      void reply.status(HttpStatus.ACCEPTED);
      return run.view();
    }
    void reply.status(status);
    await (request.wait === 'saved' ? run.settled : run.acknowledged);
    const view = run.view();
    // Stopped before `wait` was met: not a success, and the message says what is on disk.
    if (view.state === 'interrupted') {
      throw new ClientStoppingException(`run ${run.runId}: ${view.error ?? 'interrupted'}`);
    }
    return view;
  }
}
