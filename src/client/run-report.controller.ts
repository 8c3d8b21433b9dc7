import type { RunReport } from '../common/contracts/http.js';
import {
  Controller,
  Get,
  Header,
  HttpStatus,
  NotFoundException,
  Param,
  Res,
  UseGuards,
  Query,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { knownRun } from './known-run.js';
import { loadReportAssets, REPORT_ASSET_NAMES, type ReportAsset } from './report/report-assets.js';
import { REPORT_PAGE_CSP, reportPage } from './report/report-page.js';
import { RunReportDto } from './report/run-report.dto.js';
import { RunReports } from './report/run-reports.js';
import { RunsService } from './runs.service.js';
import { TOKEN_QUERY } from '../common/http/bearer-token.js';
import { ApiTokenGuard } from './api-token.guard.js';

const runIdParam = { name: 'runId', description: 'As `runId` in a run view.' };
const NO_SUCH_RUN = { [HttpStatus.NOT_FOUND]: 'No such run (or no longer remembered).' };

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
  @UseGuards(ApiTokenGuard)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', REPORT_PAGE_CSP)
  @ApiOperation({ summary: "A run's report page (HTML)" })
  @ApiParam(runIdParam)
  @ApiOkResponse({
    description:
      'An HTML page: arrival order against seq beside the file order, the drawn delays, ' +
      'sent/acked/written over time, the reorder buffer over time, and the summary.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiErrors(NO_SUCH_RUN)
  page(@Param('runId') runId: string, @Query(TOKEN_QUERY) token?: string): string {
    return reportPage(knownRun(this.runs, runId).runId, token);
  }

  /** What the report page draws: bounded whatever the run's size (at most a few thousand points). */
  @Get('runs/:runId/report.json')
  @UseGuards(ApiTokenGuard)
  @ApiOperation({ summary: "A run's report data" })
  @ApiParam(runIdParam)
  @ApiOkResponse({
    type: RunReportDto,
    description:
      'The run, its summary (tasks, duration, tasks/s, ack latency and reorder wait percentiles, ' +
      'duplicates, resent, failed), progress over time, and what the saver recorded.',
  })
  @ApiErrors(NO_SUCH_RUN)
  report(@Param('runId') runId: string): Promise<RunReport> {
    return this.reports.of(knownRun(this.runs, runId));
  }

  /** uPlot and the page's own script and styles, served by this app: the page needs no CDN. */
  @Get('report-assets/:name')
  @ApiOperation({ summary: 'A script or style sheet of the report page' })
  @ApiParam({
    name: 'name',
    description: 'A file the report page loads.',
    schema: {
      type: 'string',
      enum: [...REPORT_ASSET_NAMES],
    },
  })
  @ApiOkResponse({
    description: 'The file: JavaScript for a `.js` name, CSS for a `.css` name.',
    content: {
      'text/javascript': { schema: { type: 'string' } },
      'text/css': { schema: { type: 'string' } },
    },
  })
  @ApiErrors({ [HttpStatus.NOT_FOUND]: 'No such asset.' })
  asset(@Param('name') name: string, @Res({ passthrough: true }) reply: FastifyReply): string {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no asset ${name}`);
    void reply.header('Content-Type', asset.contentType).header('Cache-Control', 'max-age=3600');
    return asset.body;
  }
}
