import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PlainDecimal } from '../common/http/plain-decimal.js';

export const WAIT_MODES = ['acked', 'saved', 'none'] as const;
export type WaitMode = (typeof WAIT_MODES)[number];

/**
 * What starts a run: the query of `GET /` and the JSON body of `POST /runs`, with the same names.
 * Lower bounds live here; the upper bounds are settings, checked by `RunLimitsPipe` once this DTO
 * is valid.
 */
export class StartRunDto {
  @ApiProperty({
    description: 'Parallel connections to the server; at most MAX_CONNECTIONS.',
    type: 'integer',
    minimum: 1,
    default: 10,
    example: 10,
  })
  @PlainDecimal({ integer: true, min: 1 })
  connection_count = 10;

  @ApiProperty({
    description:
      'Tasks sent on each connection; at most MAX_VALUES, and connection_count × connection_value at most MAX_TASKS.',
    type: 'integer',
    minimum: 1,
    default: 10,
    example: 10,
  })
  @PlainDecimal({ integer: true, min: 1 })
  connection_value = 10;

  @ApiProperty({
    description:
      'Seconds; each task is processed after a random delay in [0, delay_range]; at most MAX_DELAY.',
    type: 'number',
    minimum: 0,
    default: 5,
    example: 5,
  })
  @PlainDecimal({ integer: false, min: 0 })
  delay_range = 5;

  @ApiProperty({
    description:
      'When to answer: every task acknowledged (`acked`), every line written (`saved`), or at once with 202 (`none`).',
    enum: WAIT_MODES,
    default: 'acked',
  })
  @IsIn(WAIT_MODES, {
    message: ({ value }) =>
      `wait must be one of ${WAIT_MODES.join(', ')} (got ${JSON.stringify(value) ?? String(value)})`,
  })
  wait: WaitMode = 'acked';
}
