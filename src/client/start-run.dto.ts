import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PlainDecimal } from '../common/http/plain-decimal.js';

export const WAIT_MODES = ['acked', 'saved', 'none'] as const;
export type WaitMode = (typeof WAIT_MODES)[number];

/** How OpenAPI shows each field; the schema of `POST /runs`'s body is made of these too. */
const START_FIELDS = {
  connection_count: {
    description: 'Parallel connections to the server; at most MAX_CONNECTIONS.',
    type: 'integer',
    minimum: 1,
    default: 10,
    example: 10,
  },
  connection_value: {
    description:
      'Tasks sent on each connection; at most MAX_VALUES, and connection_count × connection_value at most MAX_TASKS.',
    type: 'integer',
    minimum: 1,
    default: 10,
    example: 10,
  },
  delay_range: {
    description:
      'Seconds; each task is processed after a random delay in [0, delay_range]; at most MAX_DELAY.',
    type: 'number',
    minimum: 0,
    default: 5,
    example: 5,
  },
  wait: {
    description:
      'When to answer: every task acknowledged (`acked`), every line written (`saved`), or at once with 202 (`none`).',
    type: 'string',
    enum: [...WAIT_MODES],
    default: 'acked',
  },
} as const satisfies Record<string, ApiPropertyOptions>;

/**
 * The body of `POST /runs`, written out where it is used rather than as a component: generators
 * such as openapi-typescript make a component's fields with a default required (right for an
 * answer, which always has them), but keep them optional in a request body of its own. Unknown
 * fields are refused (`StrictValidationPipe`).
 */
export const START_RUN_BODY = {
  type: 'object',
  properties: START_FIELDS,
  additionalProperties: false,
} as const;

/**
 * What starts a run: the query of `GET /` and the JSON body of `POST /runs`, with the same names.
 * Every field is optional (its default applies), and the document says so: `{"wait":"none"}` is a
 * whole request.
 * Lower bounds live here; the upper bounds are settings, checked by `RunLimitsPipe` once this DTO
 * is valid.
 */
export class StartRunDto {
  @ApiPropertyOptional(START_FIELDS.connection_count)
  @PlainDecimal({ integer: true, min: 1 })
  connection_count = 10;

  @ApiPropertyOptional(START_FIELDS.connection_value)
  @PlainDecimal({ integer: true, min: 1 })
  connection_value = 10;

  @ApiPropertyOptional(START_FIELDS.delay_range)
  @PlainDecimal({ integer: false, min: 0 })
  delay_range = 5;

  @ApiPropertyOptional(START_FIELDS.wait)
  @IsIn(WAIT_MODES, {
    message: ({ value }) =>
      `wait must be one of ${WAIT_MODES.join(', ')} (got ${JSON.stringify(value) ?? String(value)})`,
  })
  wait: WaitMode = 'acked';
}
