import { RUN_STATES, type RunState, type RunView } from '../common/contracts/http.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiInteger } from '../common/http/api-integer.decorator.js';

/**
 * `RunView` (declared once, in run.ts) as OpenAPI sees it: a class, because Swagger reads
 * decorators and interfaces have none. `SameKeys` below fails the build if the two drift apart.
 */
export class RunViewDto implements RunView {
  @ApiProperty({
    description: "The run's id, sortable by start time; the file is `<OUTPUT_DIR>/<runId>.jsonl`.",
    example: '20261126T190510809Z-0004-ebdc6090',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
  })
  readonly runId!: string;

  @ApiProperty({ type: 'integer', example: 10 })
  readonly connectionCount!: number;

  @ApiProperty({ type: 'integer', example: 10 })
  readonly connectionValue!: number;

  @ApiProperty({ description: 'Seconds.', example: 5 })
  readonly delayRange!: number;

  @ApiProperty({ type: 'integer', description: 'connectionCount × connectionValue.', example: 100 })
  readonly total!: number;

  @ApiInteger('Tasks sent.')
  readonly sent!: number;

  @ApiInteger('Tasks acknowledged.')
  readonly acked!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Tasks given up on after every retry (the repair may still bring them).',
  })
  readonly failed!: number;

  @ApiInteger('Tasks sent again by the repair.')
  readonly resent!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Repair rounds so far (each asks the saver what it lacks and sends that again).',
  })
  readonly repairRounds!: number;

  @ApiInteger('Lines on disk, from the saver.')
  readonly written!: number;

  @ApiProperty({
    enum: RUN_STATES,
    description:
      '`queued` → `sending` → `saving` → `completed`, or `failed`, `cancelled`, `interrupted`.',
  })
  readonly state!: RunState;

  @ApiProperty({
    description: 'Where the saver writes.',
    example: 'data/20261126T190510809Z-0004-ebdc6090.jsonl',
  })
  readonly file!: string;

  @ApiInteger('From the request to the end (or until now).')
  readonly elapsedMs!: number;

  @ApiInteger('The seq the file waits for.')
  readonly waitingFor!: number;

  @ApiInteger('Results the saver holds for an earlier seq.')
  readonly buffered!: number;

  @ApiInteger('Duplicates the saver dropped.')
  readonly duplicates!: number;

  @ApiInteger('Milliseconds since the file last grew.')
  readonly stalledMs!: number;

  @ApiPropertyOptional({ description: 'Why the run failed, was cancelled or interrupted.' })
  readonly error?: string;

  @ApiPropertyOptional({
    description:
      'The latest failure on the way (a peer or broker that did not answer), even if it recovered.',
  })
  readonly lastError?: string;

  @ApiProperty({
    type: 'integer',
    description:
      'Starts of the client that found the run unfinished in its journal and resumed it (0: none).',
  })
  readonly restarts!: number;

  @ApiPropertyOptional({ description: 'When the run was last resumed (epoch milliseconds).' })
  readonly resumedAt?: number;
}

type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never]
  ? true
  : never;
/** Compiles only while `RunViewDto` has exactly the fields of `RunView`, optional ones included. */
export const runViewDtoMatches: SameKeys<RunView, RunViewDto> = true;
