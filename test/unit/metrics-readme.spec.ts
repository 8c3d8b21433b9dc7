import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_NAMES } from '../../src/common/settings/settings.js';
import { PipelineMetrics } from '../../src/ops/pipeline-metrics.js';

const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

/** Every `pipeline_*` name the README gives (a name is followed by its labels, if any). */
const namedInReadme = (): string[] =>
  [...new Set(readme.match(/\bpipeline_[a-z_]+/g) ?? [])].sort();

describe('the README and the metrics registry', () => {
  const registered = (): string[] => {
    const metrics = new PipelineMetrics();
    for (const module of MODULE_NAMES) metrics.use(module);
    return metrics.registry
      .getMetricsAsArray()
      .map(({ name }) => name)
      .sort();
  };

  it('names every pipeline metric a process can export, and no other', () => {
    expect(namedInReadme()).toEqual(registered());
  });
});
