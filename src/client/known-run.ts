import { NotFoundException } from '@nestjs/common';
import { RUN_ID_PATTERN } from '../common/contracts/bounds.js';
import type { Run } from './run.js';
import type { RunsService } from './runs.service.js';

/** The run named in a route, or a 404 (an id that could not be one is not looked up). */
export function knownRun(runs: RunsService, runId: string): Run {
  const run = RUN_ID_PATTERN.test(runId) ? runs.find(runId) : undefined;
  if (!run) throw new NotFoundException(`run ${runId} is unknown`);
  return run;
}
