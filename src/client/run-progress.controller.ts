import { isFinal } from '../common/contracts/http.js';
import {
  Controller,
  Headers,
  HttpStatus,
  Param,
  Sse,
  UseFilters,
  type MessageEvent,
  UseGuards,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { knownRun } from './known-run.js';
import { END_EVENT_ID, firstEventNumber, hasReceivedEnd } from './progress/event-ids.js';
import { EventsOverException, EventsOverFilter } from './progress/events-over.filter.js';
import { ProgressStream } from './progress/progress-stream.js';
import { RunsService } from './runs.service.js';
import { ApiTokenGuard } from './api-token.guard.js';

@ApiTags('runs')
@Controller()
@UseGuards(ApiTokenGuard)
@UseFilters(EventsOverFilter)
export class RunProgressController {
  constructor(
    private readonly runs: RunsService,
    private readonly progress: ProgressStream,
  ) {}

  /**
   * Server-Sent Events: `progress` (about four a second) while the run lives, then `end` with its
   * final state, and the stream closes. A run that has ended answers its `end` event at once,
   * unless the client says it has it (`Last-Event-ID: end`): then 204, and a standard EventSource
   * stops reconnecting. Any other `Last-Event-ID` resumes from the run's current state.
   */
  @Sse('runs/:runId/events')
  @ApiOperation({
    summary: "A run's progress, live (Server-Sent Events)",
    description:
      '`progress` events (sent, acked, failed, resent, written, waitingFor, buffered, duplicates, ' +
      'state, elapsedMs, ackRate, writeRate; JSON in `data`) at most every 250 ms, numbered 1, 2, …; ' +
      `then one \`end\` event (id \`${END_EVENT_ID}\`, the final state) and the stream closes. ` +
      'A reconnection resumes from the current state, numbering on from `Last-Event-ID`; one that ' +
      `sends \`Last-Event-ID: ${END_EVENT_ID}\` for a run that has ended gets 204, which stops an EventSource.`,
  })
  @ApiParam({ name: 'runId', description: 'As `runId` in a run view.' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: `The id of the last event received (an EventSource sends it when it reconnects); \`${END_EVENT_ID}\` once the end came.`,
  })
  @ApiOkResponse({
    description: 'The event stream.',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'Server-Sent Events: `id:`, `event:` (`progress` or `end`) and `data:` (JSON).',
        },
      },
    },
  })
  @ApiNoContentResponse({
    description: `The client has the run's \`end\` event (\`Last-Event-ID: ${END_EVENT_ID}\`): nothing more will come.`,
  })
  @ApiErrors({ [HttpStatus.NOT_FOUND]: 'No such run (or no longer remembered).' })
  events(
    @Param('runId') runId: string,
    @Headers('Last-Event-ID') lastEventId?: string,
  ): Observable<MessageEvent> {
    const run = knownRun(this.runs, runId);
    if (hasReceivedEnd(lastEventId) && isFinal(run.current)) throw new EventsOverException(runId);
    return this.progress.of(run, firstEventNumber(lastEventId));
  }
}
