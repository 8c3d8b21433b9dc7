import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { nodeMetrics } from './node-metrics.js';
import { PipelineMetrics } from './pipeline-metrics.js';

@ApiTags('metrics')
@Controller('metrics')
@UseGuards(MetricsTokenGuard)
export class MetricsController {
  constructor(private readonly metrics: PipelineMetrics) {}

  @Get()
  @ApiOperation({ summary: "This process's metrics, for Prometheus" })
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({ description: 'Prometheus text format.', schema: { type: 'string' } })
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return Registry.merge([nodeMetrics(), this.metrics.registry]).metrics();
  }
}
