import { describe, expect, it } from 'vitest';
import { mean, meanWithInterval, sampleSd } from '../../src/stats/meanInterval.js';

describe('mean with a t-based 95 % interval (src/stats/meanInterval.ts)', () => {
  it('matches scipy: scipy.stats.t.interval(0.95, n-1, loc=mean, scale=sem)', () => {
    // x = [2.1, 3.4, 1.9, 5.6, 4.2, 3.3]: numpy mean 3.4166666666666665, std(ddof=1)
    // 1.3731957859921746, t.interval(0.95, 5, mean, sd / sqrt(6)) = (1.9755860682914996,
    // 4.857747265041834) (scipy 1.x).
    const r = meanWithInterval([2.1, 3.4, 1.9, 5.6, 4.2, 3.3]);
    expect(r.n).toBe(6);
    expect(r.mean).toBeCloseTo(3.4166666666666665, 14);
    expect(r.sd).toBeCloseTo(1.3731957859921746, 12);
    expect(r.low).toBeCloseTo(1.9755860682914996, 9);
    expect(r.high).toBeCloseTo(4.857747265041834, 9);
  });

  it('a constant column has exactly its value as the mean and an interval of exactly 0', () => {
    // Summed as they come these give sd 3e-14 (mathjs std too) and tables printed "± 1.8e-14".
    for (const v of [0.1, 0.7, 123.456, 1e-9, -42.42]) {
      for (const n of [2, 3, 7, 13, 100]) {
        const r = meanWithInterval(Array(n).fill(v));
        expect(r.mean).toBe(v);
        expect(r.sd).toBe(0);
        expect(r.ci95).toBe(0);
        expect([r.low, r.high]).toEqual([v, v]);
      }
    }
  });

  it('n < 2: the mean of what there is, NaN spread (numpy std(ddof=1), scipy sem of one value)', () => {
    const one = meanWithInterval([5, null, Number.NaN]);
    expect(one.n).toBe(1);
    expect(one.mean).toBe(5);
    for (const k of ['sd', 'ci95', 'low', 'high'] as const) expect(one[k]).toBeNaN();
    const none = meanWithInterval([]);
    expect(none.n).toBe(0);
    expect(none.mean).toBeNaN();
    expect(none.ci95).toBeNaN();
    expect(sampleSd([3])).toBeNaN();
    expect(mean([])).toBeNaN();
  });
});
