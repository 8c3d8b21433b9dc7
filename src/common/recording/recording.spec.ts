import { describe, expect, it } from '@jest/globals';
import { DoublingHistogram } from './doubling-histogram.js';
import { DownsampledSeries } from './downsampled-series.js';
import { LogHistogram } from './log-histogram.js';
import { SystematicSample } from './systematic-sample.js';

describe(LogHistogram.name, () => {
  it('answers percentiles within one bucket (9 %) of the exact ones, never above the max', () => {
    const sut = new LogHistogram();
    for (let value = 1; value <= 1000; value++) sut.add(value);
    const { count, p50, p90, p99, max } = sut.percentiles();
    expect(count).toBe(1000);
    expect(max).toBe(1000);
    for (const [got, exact] of [
      [p50, 500],
      [p90, 900],
      [p99, 990],
    ]) {
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * 1.095);
    }
  });

  it('answers zeros when empty, and keeps zero and huge values', () => {
    expect(new LogHistogram().percentiles()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    const sut = new LogHistogram();
    sut.add(0);
    sut.add(1e9);
    expect(sut.quantile(0.5)).toBeLessThanOrEqual(0.01);
    expect(sut.quantile(1)).toBe(1e9);
  });
});

describe(DoublingHistogram.name, () => {
  it('widens its buckets by doubling to hold the range, counting every value once', () => {
    const sut = new DoublingHistogram(50);
    for (let value = 0; value < 5000; value++) sut.add(value);
    const { bucketWidth, counts } = sut.toJSON();
    expect(bucketWidth).toBe(128);
    expect(counts.length).toBeLessThanOrEqual(50);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(counts[0]).toBe(128);
    expect(counts.at(-1)).toBe(5000 - 128 * (counts.length - 1));
  });

  it('keeps width 1 while values fit', () => {
    const sut = new DoublingHistogram(10);
    [0, 3, 3, 9].forEach((value) => sut.add(value));
    expect(sut.toJSON()).toEqual({ bucketWidth: 1, counts: [1, 0, 0, 2, 0, 0, 0, 0, 0, 1] });
  });
});

describe(SystematicSample.name, () => {
  it('keeps at most its capacity, evenly spread over everything offered', () => {
    const sut = new SystematicSample(100);
    for (let at = 1; at <= 10_000; at++) sut.add(at * 3);
    const { seen, x, y } = sut.toJSON();
    expect(seen).toBe(10_000);
    expect(x.length).toBeLessThanOrEqual(100);
    expect(x.length).toBeGreaterThan(50);
    const gaps = new Set(x.slice(1).map((place, i) => place - x[i]));
    expect(gaps.size).toBe(1);
    expect(y).toEqual(x.map((place) => place * 3));
  });

  it('keeps everything below its capacity', () => {
    const sut = new SystematicSample(10);
    [5, 4, 6].forEach((value) => sut.add(value));
    expect(sut.toJSON()).toEqual({ seen: 3, x: [1, 2, 3], y: [5, 4, 6] });
  });
});

describe(DownsampledSeries.name, () => {
  it('stays within its capacity, ends on the latest values and keeps the peaks of max columns', () => {
    const sut = new DownsampledSeries({ written: 'last', depth: 'max' }, 100, 1);
    for (let t = 0; t < 100_000; t++) sut.record(t, t, t === 31_337 ? 1e6 : t % 7);
    const { t, columns } = sut.toJSON();
    expect(t.length).toBeLessThanOrEqual(101);
    expect(t.length).toBeGreaterThan(25);
    expect(t.at(-1)).toBe(99_999);
    expect(columns.written.at(-1)).toBe(99_999);
    // A counter's point holds the value at the point's time.
    expect(columns.written).toEqual(t);
    expect(Math.max(...columns.depth)).toBe(1e6);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
  });

  it('combines values within one step into one point', () => {
    const sut = new DownsampledSeries({ level: 'max' }, 10, 100);
    sut.record(0, 5);
    sut.record(50, 9);
    sut.record(99, 1);
    sut.record(100, 2);
    expect(sut.opensPoint(150)).toBe(false);
    expect(sut.toJSON()).toEqual({ t: [99, 100], columns: { level: [9, 2] } });
  });

  it('ends on the latest level even when a peak in the same point hides it', () => {
    const sut = new DownsampledSeries({ level: 'max', count: 'last' }, 10, 100);
    sut.record(0, 5, 1);
    sut.record(10, 0, 2);
    expect(sut.toJSON()).toEqual({ t: [10, 10], columns: { level: [5, 0], count: [2, 2] } });
  });
});
