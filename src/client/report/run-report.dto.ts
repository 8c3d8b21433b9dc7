import {
  RUN_STATES,
  type RunReport,
  type RunState,
  type RunSummary,
} from '../../common/contracts/http.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SaverReport } from '../../common/contracts/messages.js';
import type { LinearHistogram } from '../../common/recording/doubling-histogram.js';
import type { SeriesPoints } from '../../common/recording/downsampled-series.js';
import type { Percentiles } from '../../common/recording/log-histogram.js';
import type { SampledPoints } from '../../common/recording/systematic-sample.js';
import { RunViewDto } from '../run-view.dto.js';
import { ApiInteger } from '../../common/http/api-integer.decorator.js';

/*
 * `report.json` (the `RunReport` interface and the saver's `SaverReport`, declared once elsewhere)
 * as OpenAPI sees it. Each class `implements` its interface, so a field of the wrong type fails
 * the build, and `SameKeys` below fails it when a field is added or removed on one side only.
 */

const numbers = { type: 'array', items: { type: 'number' } } as const;
const integers = { type: 'array', items: { type: 'integer' } } as const;

export class PercentilesDto implements Percentiles {
  @ApiInteger('Values recorded.')
  readonly count!: number;
  @ApiProperty()
  readonly p50!: number;
  @ApiProperty()
  readonly p90!: number;
  @ApiProperty()
  readonly p99!: number;
  @ApiProperty()
  readonly max!: number;
}

export class SeriesPointsDto implements SeriesPoints {
  @ApiProperty({ ...numbers, description: 'Time of each point, epoch ms.' })
  readonly t!: number[];

  @ApiProperty({
    type: 'object',
    description:
      'One column per series, as long as `t` (the client: `sent`, `acked`, `written`, `failed`; the saver: `buffered`, `written`).',
    additionalProperties: numbers,
  })
  readonly columns!: Record<string, number[]>;
}

export class SampledPointsDto implements SampledPoints {
  @ApiInteger('Points offered in all.')
  readonly seen!: number;
  @ApiProperty({ ...integers, description: 'Place of each kept arrival at the saver (1, 2, …).' })
  readonly x!: number[];
  @ApiProperty({ ...integers, description: 'Its seq.' })
  readonly y!: number[];
}

export class LinearHistogramDto implements LinearHistogram {
  @ApiProperty({ description: 'Bucket i holds [i × bucketWidth, (i + 1) × bucketWidth).' })
  readonly bucketWidth!: number;
  @ApiProperty(integers)
  readonly counts!: number[];
}

export class SaverReportDto implements SaverReport {
  @ApiProperty()
  readonly runId!: string;
  @ApiProperty({ description: 'False when the saver never saw the run or has forgotten it.' })
  readonly known!: boolean;
  @ApiInteger('Results received, duplicates included.')
  readonly received!: number;
  @ApiInteger('Results released in order.')
  readonly released!: number;
  @ApiInteger()
  readonly duplicates!: number;
  @ApiProperty({ type: SampledPointsDto })
  readonly arrivals!: SampledPointsDto;
  @ApiProperty({ type: LinearHistogramDto, description: 'The delays the processors drew, ms.' })
  readonly delays!: LinearHistogramDto;
  @ApiProperty({ type: PercentilesDto, description: 'From arrival to release, ms.' })
  readonly reorderWaitMs!: PercentilesDto;
  @ApiProperty({ type: SeriesPointsDto })
  readonly timeline!: SeriesPointsDto;
}

export class RunSummaryDto implements RunSummary {
  @ApiProperty()
  readonly runId!: string;
  @ApiProperty({ enum: RUN_STATES })
  readonly state!: RunState;
  @ApiProperty()
  readonly file!: string;
  @ApiInteger()
  readonly tasks!: number;
  @ApiInteger()
  readonly written!: number;
  @ApiProperty()
  readonly durationS!: number;
  @ApiInteger('Lines written per second of the duration.')
  readonly tasksPerSecond!: number;
  @ApiProperty({ type: PercentilesDto, description: 'Send to acknowledgement, ms.' })
  readonly ackMs!: PercentilesDto;
  @ApiProperty({ type: PercentilesDto, description: 'Arrival at the saver to release, ms.' })
  readonly reorderWaitMs!: PercentilesDto;
  @ApiInteger()
  readonly duplicates!: number;
  @ApiInteger()
  readonly resent!: number;
  @ApiInteger()
  readonly failed!: number;
}

/** `GET /runs/:runId/report.json`. */
export class RunReportDto implements RunReport {
  @ApiProperty({ type: RunViewDto })
  readonly run!: RunViewDto;
  @ApiProperty({ description: 'When the run was created, epoch ms.' })
  readonly startedAt!: number;
  @ApiProperty({ type: RunSummaryDto })
  readonly summary!: RunSummaryDto;
  @ApiProperty({ type: SeriesPointsDto, description: 'Sent, acked, written, failed over time.' })
  readonly progress!: SeriesPointsDto;
  @ApiProperty({
    type: SaverReportDto,
    nullable: true,
    description: 'What the saver recorded; null when it could not be asked (`saverError`).',
  })
  readonly saver!: SaverReportDto | null;
  @ApiPropertyOptional({ description: 'Why the saver could not be asked.' })
  readonly saverError?: string;
}

type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never]
  ? true
  : never;
/** Compiles only while each class has exactly the fields of its interface. */
export const reportDtosMatch: [
  SameKeys<RunReport, RunReportDto>,
  SameKeys<RunSummary, RunSummaryDto>,
  SameKeys<SaverReport, SaverReportDto>,
  SameKeys<SeriesPoints, SeriesPointsDto>,
  SameKeys<SampledPoints, SampledPointsDto>,
  SameKeys<LinearHistogram, LinearHistogramDto>,
  SameKeys<Percentiles, PercentilesDto>,
] = [true, true, true, true, true, true, true];
