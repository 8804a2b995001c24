import { normalCdf } from '../stats/distributions.js';

export interface WilcoxonResult {
  /** Pairs with a non-zero difference (zeros dropped, Wilcoxon's original method). */
  n: number;
  /** Sum of ranks of positive differences (x > y). */
  wPlus: number;
  wMinus: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Ranks of values (1-based) with ties given their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = avg;
    i = j + 1;
  }
  return ranks;
}

/**
 * Paired Wilcoxon signed-rank test of x against y. Exact null distribution when there are no
 * ties and n <= 50 (as scipy's default), otherwise the normal approximation with the tie
 * correction of the variance and no continuity correction.
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[]): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError('wilcoxonSignedRank needs paired samples of equal length');
  const d = x.map((v, i) => v - y[i]).filter((v) => v !== 0);
  const n = d.length;
  if (n === 0) return { n: 0, wPlus: 0, wMinus: 0, p: 1, method: 'exact' };
  const ranks = averageRanks(d.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) wPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const wMinus = total - wPlus;
  const hasTies = ranks.some((r) => !Number.isInteger(r));
  if (!hasTies && n <= 50) {
    // counts[s] = number of sign assignments whose positive ranks sum to s.
    const counts = new Float64Array(total + 1);
    counts[0] = 1;
    for (let k = 1; k <= n; k++) for (let s = total; s >= k; s--) counts[s] += counts[s - k];
    const t = Math.min(wPlus, wMinus);
    let tail = 0;
    for (let s = 0; s <= t; s++) tail += counts[s];
    return { n, wPlus, wMinus, p: Math.min(1, (2 * tail) / 2 ** n), method: 'exact' };
  }
  const tieSizes = new Map<number, number>();
  for (const r of ranks) tieSizes.set(r, (tieSizes.get(r) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of tieSizes.values()) tieTerm += t ** 3 - t;
  const mean = total / 2;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const z = variance > 0 ? (wPlus - mean) / Math.sqrt(variance) : 0;
  return { n, wPlus, wMinus, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), method: 'normal' };
}
