import type { RunSummary } from '../common/contracts/http.js';
import { describe, expect, it } from '@jest/globals';
import { formatSummary } from './summary.js';
import { evaluate, parseThreshold } from './thresholds.js';
import { metricsOf } from './metrics.js';

const summary: RunSummary = {
  runId: 'r-1',
  state: 'completed',
  file: 'data/r-1.jsonl',
  tasks: 10_000,
  written: 10_000,
  durationS: 5.678,
  tasksPerSecond: 1761,
  ackMs: { count: 10_000, p50: 1.5, p90: 4, p99: 9.1, max: 12 },
  reorderWaitMs: { count: 10_000, p50: 20, p90: 300, p99: 900, max: 1000 },
  duplicates: 0,
  resent: 2,
  failed: 0,
};

describe(formatSummary.name, () => {
  it('prints every figure, the report link and each threshold with ✓ or ✗', () => {
    const verdicts = evaluate(
      ['failed==0', 'p99_ack_ms<5'].map(parseThreshold),
      metricsOf(summary),
    );
    const text = formatSummary(summary, verdicts, 'http://h/runs/r-1/report');
    expect(text).toContain('run r-1: completed');
    expect(text).toMatch(/tasks\.+: 10,000 written of 10,000/);
    expect(text).toMatch(/duration\.+: 5\.68 s/);
    expect(text).toMatch(/tasks\/s\.+: 1,761/);
    expect(text).toMatch(/ack latency\.+: p50=1\.5ms p90=4ms p99=9\.1ms max=12ms/);
    expect(text).toMatch(/reorder wait\.+: p50=20ms/);
    expect(text).toMatch(/re-sent\.+: 2/);
    expect(text).toMatch(/file\.+: data\/r-1\.jsonl/);
    expect(text).toMatch(/report\.+: http:\/\/h\/runs\/r-1\/report/);
    expect(text).toMatch(/✓ failed==0 +failed=0/);
    expect(text).toMatch(/✗ p99_ack_ms<5 +p99_ack_ms=9\.1/);
  });

  it('prints no thresholds section without thresholds', () => {
    expect(formatSummary(summary, [], 'u')).not.toContain('thresholds');
  });
});
