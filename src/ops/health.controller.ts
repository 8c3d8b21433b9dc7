import { applyDecorators, Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { HealthAnswerDto } from './health-answer.dto.js';
import { ReadinessChecks } from './readiness-checks.js';

/**
 * terminus' own Swagger decorators never apply in an ESM build (it looks for `@nestjs/swagger`
 * with `require`): the answers are documented here.
 */
const HealthDocs = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    HealthCheck({ noCache: true, swaggerDocumentation: false }),
    ApiOkResponse({ type: HealthAnswerDto, description: 'Every check is up.' }),
    ApiServiceUnavailableResponse({
      type: HealthAnswerDto,
      description: 'A check is down: `error` names it and why.',
    }),
  );

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessChecks,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process runs and answers HTTP' })
  @HealthDocs()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'The modules of this process can work',
    description:
      'Each peer they call answers a ping over the configured transport, and OUTPUT_DIR is writable where the saver runs. 503 names what is down. Cheap: starts nothing.',
  })
  @HealthDocs()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(
      this.readiness.entries().map(([name, check]) => async () => {
        const { up, ...details } = await check();
        const indicator = this.indicators.check(name);
        return up ? indicator.up(details) : indicator.down(details);
      }),
    );
  }
}
