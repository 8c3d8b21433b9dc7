import { BadRequestException, Inject, Injectable, type PipeTransform } from '@nestjs/common';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';
import type { StartRunDto } from './start-run.dto.js';

/** Upper bounds of a run, from the settings, so the endpoint cannot be turned into a flood. */
@Injectable()
export class RunLimitsPipe implements PipeTransform<StartRunDto, StartRunDto> {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  transform(query: StartRunDto): StartRunDto {
    const { maxConnections, maxValues, maxTasks, maxDelaySeconds } = this.settings.limits;
    const problems: string[] = [];
    if (query.connection_count > maxConnections)
      problems.push(
        `connection_count must not be greater than ${maxConnections} (MAX_CONNECTIONS)`,
      );
    if (query.connection_value > maxValues)
      problems.push(`connection_value must not be greater than ${maxValues} (MAX_VALUES)`);
    if (query.delay_range > maxDelaySeconds)
      problems.push(`delay_range must not be greater than ${maxDelaySeconds} (MAX_DELAY)`);
    const total = query.connection_count * query.connection_value;
    if (problems.length === 0 && total > maxTasks)
      problems.push(
        `connection_count × connection_value must not be greater than ${maxTasks} (MAX_TASKS); got ${total}`,
      );
    if (problems.length > 0) throw new BadRequestException(problems);
    return query;
  }
}
