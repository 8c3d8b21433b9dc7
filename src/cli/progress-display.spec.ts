import { describe, expect, it } from '@jest/globals';
import { averageRate, duration, etaOf } from './progress-display.js';

describe('the progress bar figures', () => {
  it('gives no ETA before a second has passed with lines written, nor once the run has ended', () => {
    expect(etaOf({ total: 100, written: 0, elapsedMs: 5000, state: 'sending' })).toBe('—');
    expect(etaOf({ total: 100, written: 50, elapsedMs: 400, state: 'sending' })).toBe('—');
    expect(etaOf({ total: 100, written: 100, elapsedMs: 9000, state: 'completed' })).toBe('—');
  });

  it('takes the ETA from the average rate so far', () => {
    // 1,000 lines in 10 s: 9,000 left take 90 s.
    expect(etaOf({ total: 10_000, written: 1000, elapsedMs: 10_000, state: 'saving' })).toBe(
      '1m30s',
    );
    expect(duration(3725)).toBe('1h02m');
    expect(duration(42.4)).toBe('42s');
  });

  it('ends on the average rate of the run, not on its last burst', () => {
    expect(averageRate({ written: 100_000, elapsedMs: 58_275 })).toBe(1716);
  });
});
