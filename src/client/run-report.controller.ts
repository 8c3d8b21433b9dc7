import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { HttpErrorDto } from '../common/http/http-error.dto.js';
import { knownRun } from './known-run.js';
import { loadReportAssets, type ReportAsset } from './report/report-assets.js';
import { REPORT_PAGE_CSP, reportPage } from './report/report-page.js';
import type { RunReport } from './report/run-report.js';
import { RunReports } from './report/run-reports.js';
import { RunsService } from './runs.service.js';

const runIdParam = { name: 'runId', description: 'the id a run was started with' };

@ApiTags('runs')
@Controller()
export class RunReportController {
  private readonly assets: ReadonlyMap<string, ReportAsset> = loadReportAssets();

  constructor(
    private readonly runs: RunsService,
    private readonly reports: RunReports,
  ) {}

  /** One page with the run's summary and charts; its data comes from `report.json`. */
  @Get('runs/:runId/report')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', REPORT_PAGE_CSP)
  @ApiProduces('text/html')
  @ApiParam(runIdParam)
  @ApiOkResponse({
    description:
      'an HTML page: arrival order against seq beside the file order, the drawn delays, ' +
      'sent/acked/written over time, the reorder buffer over time, and the summary',
    schema: { type: 'string', format: 'html' },
  })
  @ApiNotFoundResponse({ description: 'no such run (or it was forgotten)', type: HttpErrorDto })
  page(@Param('runId') runId: string): string {
    return reportPage(knownRun(this.runs, runId).runId);
  }

  /** What the report page draws: bounded whatever the run's size (at most a few thousand points). */
  @Get('runs/:runId/report.json')
  @ApiParam(runIdParam)
  @ApiOkResponse({
    description:
      'the run, its summary (tasks, duration, tasks/s, ack latency and reorder wait percentiles, ' +
      'duplicates, resent, failed), progress over time, and what the saver recorded',
    // The report's shape is the `RunReport` interface (src/client/report/run-report.ts).
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiNotFoundResponse({ description: 'no such run (or it was forgotten)', type: HttpErrorDto })
  report(@Param('runId') runId: string): Promise<RunReport> {
    return this.reports.of(knownRun(this.runs, runId));
  }

  /** uPlot and the page's own script and styles, served by this app: the page needs no CDN. */
  @Get('report-assets/:name')
  @ApiParam({
    name: 'name',
    description: 'uPlot.iife.min.js, uPlot.min.css, report.js or report.css',
  })
  @ApiProduces('application/javascript', 'text/css')
  @ApiOkResponse({ description: 'the file', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'no such asset', type: HttpErrorDto })
  asset(@Param('name') name: string, @Res({ passthrough: true }) reply: FastifyReply): string {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no asset ${name}`);
    void reply.header('Content-Type', asset.contentType).header('Cache-Control', 'max-age=3600');
    return asset.body;
  }
}
