import { describe, expect, it } from '@jest/globals';
import { METRICS, type MetricName } from './metrics.js';
import { evaluate, parseThreshold, ThresholdSyntaxError } from './thresholds.js';

const metrics = Object.fromEntries(Object.keys(METRICS).map((name) => [name, 0])) as Record<
  MetricName,
  number
>;

describe(parseThreshold.name, () => {
  it.each([
    ['tasks_per_second>5000', 'tasks_per_second', '>', 5000],
    ['failed==0', 'failed', '==', 0],
    [' p99_ack_ms < 200.5 ', 'p99_ack_ms', '<', 200.5],
    ['duplicates!=3', 'duplicates', '!=', 3],
    ['written>=10', 'written', '>=', 10],
    ['duration_s<=-1', 'duration_s', '<=', -1],
  ])('reads %j', (source, metric, operator, value) => {
    expect(parseThreshold(source)).toMatchObject({ metric, operator, value });
  });

  it.each([
    ['', 'is not a threshold'],
    ['failed', 'is not a threshold'],
    ['failed=0', 'is not a threshold'],
    ['failed=>0', 'is not a threshold'],
    ['failed<abc', 'is not a threshold'],
    ['failed<1e3', 'is not a threshold'],
    ['p95_ack_ms<10', 'unknown metric p95_ack_ms'],
  ])('refuses %j, saying why', (source, why) => {
    expect(() => parseThreshold(source)).toThrow(ThresholdSyntaxError);
    expect(() => parseThreshold(source)).toThrow(why);
  });
});

describe(evaluate.name, () => {
  it('applies each operator to the metric it names', () => {
    const sut = evaluate(
      ['p99_ack_ms<200', 'p99_ack_ms<=150', 'failed==0', 'failed!=0', 'tasks>9', 'tasks>=11'].map(
        parseThreshold,
      ),
      { ...metrics, p99_ack_ms: 150, tasks: 10 },
    );
    expect(sut.map(({ passed }) => passed)).toEqual([true, true, true, false, true, false]);
    expect(sut[0].actual).toBe(150);
  });
});
