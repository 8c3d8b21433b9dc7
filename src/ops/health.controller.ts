import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { ReadinessChecks } from './readiness-checks.js';

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
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'The modules of this process can work',
    description:
      'Each peer they call answers a ping over the configured transport, and OUTPUT_DIR is writable where the saver runs. 503 names what is down. Cheap: starts nothing.',
  })
  @HealthCheck()
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
