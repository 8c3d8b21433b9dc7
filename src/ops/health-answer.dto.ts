import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';

const INDICATORS: ApiPropertyOptions = {
  type: 'object',
  description: 'By check name (`server`, `processor`, `saver`, `outputDir`): `status` and details.',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

/** What `/health/live` and `/health/ready` answer (terminus' shape). */
export class HealthAnswerDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  readonly status!: 'ok' | 'error' | 'shutting_down';

  @ApiPropertyOptional({ ...INDICATORS, description: 'The checks that are up.' })
  readonly info?: Record<string, unknown>;

  @ApiPropertyOptional({ ...INDICATORS, description: 'The checks that are down, and why.' })
  readonly error?: Record<string, unknown>;

  @ApiProperty(INDICATORS)
  readonly details!: Record<string, unknown>;
}
