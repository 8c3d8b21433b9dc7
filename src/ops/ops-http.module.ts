import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/** `/health/live`, `/health/ready` and `/metrics`: on the client's port, or on an ops port. */
@Module({
  // A 503 answer names what is down; logging each probe as an error too would flood the log.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
})
export class OpsHttpModule {}
