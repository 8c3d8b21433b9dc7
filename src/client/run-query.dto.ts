import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, Min } from 'class-validator';

export const WAIT_MODES = ['acked', 'saved', 'none'] as const;
export type WaitMode = (typeof WAIT_MODES)[number];

/**
 * Query of `GET /`. Lower bounds live here; the upper bounds are settings, checked by
 * `RunLimitsPipe` once this DTO is valid.
 */
export class RunQueryDto {
  /** Parallel connections to the server. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  connection_count = 10;

  /** Tasks sent on each connection. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  connection_value = 10;

  /** Seconds; each task is processed after a random delay in [0, delay_range]. */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  delay_range = 5;

  /** When to answer: every task acknowledged, every line written, or at once. */
  @IsIn(WAIT_MODES)
  wait: WaitMode = 'acked';
}
