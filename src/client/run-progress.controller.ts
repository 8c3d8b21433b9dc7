import { Controller, Param, Sse, type MessageEvent } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { HttpErrorDto } from '../common/http/http-error.dto.js';
import { knownRun } from './known-run.js';
import { ProgressStream } from './progress/progress-stream.js';
import { RunsService } from './runs.service.js';

@ApiTags('runs')
@Controller()
export class RunProgressController {
  constructor(
    private readonly runs: RunsService,
    private readonly progress: ProgressStream,
  ) {}

  /**
   * Server-Sent Events: `progress` (about four a second) while the run lives, then `end` with its
   * final state, and the stream closes. A run that has ended answers its `end` event at once.
   */
  @Sse('runs/:runId/events')
  @ApiProduces('text/event-stream')
  @ApiParam({ name: 'runId', description: 'the id a run was started with' })
  @ApiOkResponse({
    description:
      'a stream of `progress` events (sent, acked, failed, resent, written, waitingFor, buffered, ' +
      'duplicates, state, elapsedMs, ackRate, writeRate) at most every 250 ms, then one `end` event',
    schema: {
      type: 'string',
      description: 'Server-Sent Events: `event:` and `data:` (JSON) lines',
    },
  })
  @ApiNotFoundResponse({ description: 'no such run (or it was forgotten)', type: HttpErrorDto })
  events(@Param('runId') runId: string): Observable<MessageEvent> {
    return this.progress.of(knownRun(this.runs, runId));
  }
}
