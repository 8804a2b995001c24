import { describe, expect, it } from 'vitest';
import { incompleteBeta, normalCdf, studentTCdf, studentTQuantile } from '../../src/stats/distributions.js';
import { buildReport } from '../../src/mos/stats.js';
import { meanWithInterval } from '../../src/stats/meanInterval.js';
import type { RatingRecord } from '../../src/mos/store.js';
import { averageRanks, wilcoxonSignedRank } from '../../src/stats/wilcoxon.js';

describe('distributions', () => {
  it('t quantiles match the printed table', () => {
    // Two-sided 95 % critical values from any t table.
    const table: [number, number][] = [
      [1, 12.706205],
      [2, 4.302653],
      [3, 3.182446],
      [5, 2.570582],
      [10, 2.228139],
      [30, 2.042272],
      [120, 1.979930],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 5);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604095, 5);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228139, 5);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 4);
  });

  it('t CDF, incomplete beta and normal CDF agree with closed forms', () => {
    // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/pi.
    for (const t of [-3, -0.5, 0.7, 4]) expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 10);
    // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    expect(studentTCdf(1.5, 2)).toBeCloseTo(0.5 + 1.5 / (2 * Math.sqrt(2 + 2.25)), 10);
    // I_x(1, b) = 1 - (1 - x)^b.
    expect(incompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 12);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });

  it('mean CI uses t, not 1.96', () => {
    // 1,2,3,4,5: mean 3, sd sqrt(2.5), half-width 2.776445 * 1.581139 / sqrt(5) = 1.963243.
    const r = meanWithInterval([1, 2, 3, 4, 5]);
    expect(r.mean).toBe(3);
    expect(r.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(r.ci95).toBeCloseTo(1.963243, 5);
    // n < 2: no interval, NaN as scipy.stats.t.interval gives it (was null here, NaN in analysis/).
    expect(meanWithInterval([4]).ci95).toBeNaN();
  });
});

describe('Wilcoxon signed-rank (numbers are scipy.stats.wilcoxon defaults, worked out by hand)', () => {
  // scipy >= 1.15, method='auto': exact without ties/zeros for <= 50 pairs; with ties or zeros a
  // permutation test (all 2^n sign flips) for <= 13 pairs, else the normal approximation with
  // the tie-corrected variance n(n+1)(2n+1)/24 - sum(t^3 - t)/48 and no continuity correction.
  it('average ranks with ties', () => {
    expect(averageRanks([2, 1, 2, 1, 1, 2, 1])).toEqual([6, 2.5, 6, 2.5, 2.5, 6, 2.5]);
    expect(averageRanks([3, 3, 3])).toEqual([2, 2, 2]); // a tie whose average rank is a whole number
  });

  it('exact p without ties', () => {
    // All five differences positive: W+ = 15, P(W+ = 15) = 1/32, two-sided p = 1/16.
    const r = wilcoxonSignedRank([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
    expect(r).toMatchObject({ n: 5, wPlus: 15, wMinus: 0, method: 'exact' });
    expect(r.p).toBeCloseTo(0.0625, 12);
    // d = 3, -1, 2, 4, -5, 6 -> ranks 3,1,2,4,5,6; W- = 1 + 5 = 6. Subsets of 1..6 with sum <= 6:
    // {}, 1, 2, 3, 4, 5, 6, 12, 13, 14, 15, 23, 24, 123 = 14 of 64 -> p = 2 * 14 / 64 = 0.4375.
    const s = wilcoxonSignedRank([3, 0, 2, 4, 0, 6], [0, 1, 0, 0, 5, 0]);
    expect(s).toMatchObject({ wMinus: 6, method: 'exact' });
    expect(s.p).toBeCloseTo(0.4375, 12);
  });

  it('ties, n = 4: the permutation p is 2/16 (the normal approximation said 0.0656)', () => {
    // d = 1, 2, 2, 3 all positive: ranks 1, 2.5, 2.5, 4, W+ = 10. Only 1 of the 16 sign flips
    // reaches 10: p = 2/16 = 0.125. The normal approximation: z = 5 / sqrt(7.5 - 6/48) = 1.84115,
    // p = 0.065600 (scipy with method='asymptotic').
    const r = wilcoxonSignedRank([2, 3, 3, 4], [1, 1, 1, 1]);
    expect(r).toMatchObject({ n: 4, wPlus: 10, wMinus: 0, method: 'permutation' });
    expect(r.p).toBeCloseTo(0.125, 12);
    const a = wilcoxonSignedRank([2, 3, 3, 4], [1, 1, 1, 1], { method: 'asymptotic' });
    expect(a.method).toBe('normal');
    expect(a.p).toBeCloseTo(0.0655997, 6);
  });

  it('ties with both signs, counted sign flip by sign flip', () => {
    // d = 1, 1, -2, 3: ranks 1.5, 1.5, 3, 4; W+ = 7. The 16 subset sums of {1.5, 1.5, 3, 4}:
    // 0 1.5 1.5 3 3 4 4.5 4.5 5.5 5.5 6 7 7 8.5 8.5 10 -> 5 are >= 7, 13 are <= 7: p = 2 * 5/16.
    const r = wilcoxonSignedRank([2, 2, 0, 4], [1, 1, 2, 1]);
    expect(r).toMatchObject({ wPlus: 7, wMinus: 3, method: 'permutation' });
    expect(r.p).toBeCloseTo(0.625, 12);
  });

  it('ties and a zero, 8 pairs: permutation; the normal approximation on request', () => {
    // d = 2,0,1,2,-1,1,2,1 -> zero dropped, n = 7; ones rank 2.5, twos rank 6; W- = 2.5, W+ = 25.5.
    // Sign flips: W- <= 2.5 needs W- in {0, 2.5}: 1 + 4 of 128 -> p = 2 * 5/128 = 0.078125.
    const r = wilcoxonSignedRank([5, 4, 3, 4, 2, 5, 3, 4], [3, 4, 2, 2, 3, 4, 1, 3]);
    expect(r).toMatchObject({ n: 7, wPlus: 25.5, wMinus: 2.5, method: 'permutation' });
    expect(r.p).toBeCloseTo(0.078125, 12);
    // Normal: mean 14, var 35 - (60 + 24) / 48 = 33.25, z = 11.5 / sqrt(33.25) = 1.99435, p = 0.046113.
    const a = wilcoxonSignedRank([5, 4, 3, 4, 2, 5, 3, 4], [3, 4, 2, 2, 3, 4, 1, 3], { method: 'asymptotic' });
    expect(a.p).toBeCloseTo(0.0461135, 6);
  });

  it('a zero without ties: permutation over the non-zero differences', () => {
    // d = 0, 1, 2, 3: n = 3, all positive, W+ = 6: 1 of 8 sign flips -> p = 0.25.
    const r = wilcoxonSignedRank([5, 6, 7, 8], [5, 5, 5, 5]);
    expect(r).toMatchObject({ n: 3, wPlus: 6, method: 'permutation' });
    expect(r.p).toBeCloseTo(0.25, 12);
  });

  it('ties beyond 13 pairs: normal approximation', () => {
    // d = 1,1,2,2,...,7,7 with one 7 negative (14 pairs, 7 ties of 2): ranks 1.5, 3.5, ..., 13.5;
    // W- = 13.5, W+ = 91.5; mean 52.5, var 14*15*29/24 - 7*6/48 = 252.875,
    // z = 39 / sqrt(252.875) = 2.452515, p = 2 (1 - Phi(z)) = 0.0141861.
    const d = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, -7];
    const r = wilcoxonSignedRank(d, d.map(() => 0));
    expect(r).toMatchObject({ n: 14, wPlus: 91.5, wMinus: 13.5, method: 'normal' });
    expect(r.p).toBeCloseTo(0.0141861, 6);
  });

  it('more than 50 pairs: normal approximation even without ties', () => {
    // d = -1..-30, 31..51: W- = 465, W+ = 1326 - 465 = 861; mean 663, var 51*52*103/24 = 11381.5,
    // z = 198 / sqrt(11381.5) = 1.855946, p = 0.0634612.
    const d = Array.from({ length: 51 }, (_, i) => (i < 30 ? -(i + 1) : i + 1));
    const r = wilcoxonSignedRank(d, d.map(() => 0));
    expect(r).toMatchObject({ n: 51, wPlus: 861, wMinus: 465, method: 'normal' });
    expect(r.p).toBeCloseTo(0.0634612, 6);
  });

  it('floating-point near-ties and near-zeros are ties and zeros', () => {
    // 2.0 and 1.9999999999999996 differ only by rounding: tied, ranks 1.5, 1.5, 3, 4, W- = 1.5;
    // sign flips with W- <= 1.5: {}, {a}, {b} = 3 of 16 -> p = 0.375 (untied it would be exact
    // with W- = 1: p = 2 * 2/16 = 0.25).
    const r = wilcoxonSignedRank([3, 1, 5, 6], [1, 2.9999999999999996, 1, 1]);
    expect(1 - 2.9999999999999996).not.toBe(-2);
    expect(r).toMatchObject({ wPlus: 8.5, wMinus: 1.5, method: 'permutation' });
    expect(r.p).toBeCloseTo(0.375, 12);
    // 0.1 + 0.2 - 0.3 = 5.6e-17 is a zero, not the smallest positive difference.
    const z = wilcoxonSignedRank([0.1 + 0.2, 2, 3, 4], [0.3, 1, 1, 1]);
    expect(z).toMatchObject({ n: 3, wPlus: 6, method: 'permutation' });
    expect(z.p).toBeCloseTo(0.25, 12);
  });
});

function rating(raterId: number, itemKey: string, system: string, score: number, kind: RatingRecord['kind'] = 'system'): RatingRecord {
  return {
    ratingId: Math.floor(Math.random() * 1e9),
    test: 't',
    raterId,
    raterLabel: null,
    itemKey,
    prompt: null,
    system,
    kind,
    isTrap: kind === 'trap',
    score,
    createdAt: '',
  };
}

describe('report', () => {
  it('screens a rater who failed a trap and shows results with and without them', () => {
    const rs: RatingRecord[] = [];
    for (const rater of [1, 2, 3]) {
      rs.push(rating(rater, 'i1', 'A', 4), rating(rater, 'i1', 'B', 2), rating(rater, 'i2', 'A', 5), rating(rater, 'i2', 'B', 2));
      rs.push(rating(rater, 'i1', 'trap', 1, 'trap'));
    }
    // Rater 4 rates everything 5, the trap too.
    rs.push(rating(4, 'i1', 'A', 5), rating(4, 'i1', 'B', 5), rating(4, 'i2', 'A', 5), rating(4, 'i2', 'B', 5));
    rs.push(rating(4, 'i1', 'trap', 5, 'trap'));
    const rep = buildReport(rs, 'acr');
    const r4 = rep.raters.find((r) => r.raterId === 4);
    expect(r4?.screened).toBe(true);
    expect(r4?.reasons[0]).toMatch(/failed 1 of 1 trap/);
    expect(rep.raters.filter((r) => r.screened).map((r) => r.raterId)).toEqual([4]);
    const b = rep.systems.find((s) => s.system === 'B');
    const bScreened = rep.systemsScreened.find((s) => s.system === 'B');
    expect(b?.mean).toBeCloseTo(22 / 8, 12); // (3 x (2 + 2) + 5 + 5) / 8
    expect(bScreened?.mean).toBeCloseTo(2, 12);
    expect(bScreened?.n).toBe(6);
    expect(rep.systems.map((s) => s.system)).toEqual(['A', 'B']); // trap never a system
    // Without rater 4, A beats B by 2 and 3 on the two items: W+ = 3, exact p = 2 * 1/4 = 0.5.
    expect(rep.pairedScreened[0]).toMatchObject({ a: 'A', b: 'B', n: 2, wPlus: 3, wMinus: 0, p: 0.5, meanDiff: 2.5 });
  });

  it('flags a z-score outlier among consistent raters', () => {
    const rs: RatingRecord[] = [];
    for (let rater = 1; rater <= 10; rater++)
      for (let i = 0; i < 6; i++) {
        const base = 2 + (i % 3);
        rs.push(rating(rater, `i${i}`, 'A', rater === 10 ? 5 - (i % 3) : base + (rater % 2) * 0.5));
      }
    const rep = buildReport(rs, 'ovl', { maxTrapFailureRate: 0.15, outlierZ: 2 });
    expect(rep.raters.filter((r) => r.screened).map((r) => r.raterId)).toEqual([10]);
  });
});
