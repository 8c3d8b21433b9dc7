import { ApiProperty } from '@nestjs/swagger';

/** Nest's error answer, as every 4xx and 5xx of the HTTP API comes. */
export class HttpErrorDto {
  @ApiProperty({ type: 'integer', example: 400 })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  readonly error!: string;

  @ApiProperty({
    description: 'What is wrong: one sentence, or one per bad field (each names the field).',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['connection_count must not be less than 1 (got 0)'],
  })
  readonly message!: string | string[];
}
