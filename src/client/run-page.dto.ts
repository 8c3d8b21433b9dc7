import { ApiProperty } from '@nestjs/swagger';
import { RunViewDto } from './run-view.dto.js';
import { ApiInteger } from '../common/http/api-integer.decorator.js';

/** One page of `GET /runs`, newest first. */
export class RunPageDto {
  @ApiProperty({ type: [RunViewDto] })
  readonly runs!: RunViewDto[];

  @ApiInteger('Runs that match the filter, over every page.')
  readonly total!: number;

  @ApiInteger()
  readonly limit!: number;

  @ApiInteger()
  readonly offset!: number;
}
