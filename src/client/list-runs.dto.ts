import { RUN_STATES, type RunState } from '../common/contracts/http.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PlainDecimal } from '../common/http/plain-decimal.js';

/** Runs the client remembers, at most; a page cannot be longer. */
export const MAX_PAGE = 1000;

/** Query of `GET /runs`: a page of runs, newest first, optionally in one state. */
export class ListRunsDto {
  @ApiPropertyOptional({ enum: RUN_STATES, description: 'Only runs in this state.' })
  @IsOptional()
  @IsIn(RUN_STATES, {
    message: ({ value }) =>
      `state must be one of ${RUN_STATES.join(', ')} (got ${JSON.stringify(value) ?? String(value)})`,
  })
  state?: RunState;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 20 })
  @PlainDecimal({ integer: true, min: 1, max: MAX_PAGE })
  limit = 20;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'Runs skipped from the newest.',
  })
  @PlainDecimal({ integer: true, min: 0 })
  offset = 0;
}
