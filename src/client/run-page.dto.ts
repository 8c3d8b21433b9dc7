import { ApiProperty } from '@nestjs/swagger';
import { RunViewDto } from './run-view.dto.js';

/** One page of `GET /runs`, newest first. */
export class RunPageDto {
  @ApiProperty({ type: [RunViewDto] })
  readonly runs!: RunViewDto[];

  @ApiProperty({ type: 'integer', description: 'Runs that match the filter, over every page.' })
  readonly total!: number;

  @ApiProperty({ type: 'integer' })
  readonly limit!: number;

  @ApiProperty({ type: 'integer' })
  readonly offset!: number;
}
