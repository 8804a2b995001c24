import { normalCdf } from './distributions.js';

export interface WilcoxonResult {
  /** Pairs with a non-zero difference (zeros dropped, Wilcoxon's original method). */
  n: number;
  /** Sum of ranks of positive differences (x > y). */
  wPlus: number;
  wMinus: number;
  /** Two-sided p-value. */
  p: number;
  /**
   * 'exact': the null distribution of W+ without ties; 'permutation': the exact distribution of
   * W+ over all 2^n sign flips of these (tied) ranks; 'normal': normal approximation with the tie
   * correction of the variance, no continuity correction.
   */
  method: 'exact' | 'permutation' | 'normal';
}

export interface WilcoxonOptions {
  /** 'auto' (default) chooses as scipy >= 1.15 does; 'asymptotic' forces the normal approximation. */
  method?: 'auto' | 'asymptotic';
}

/** Differences closer than this (relative) are ties; smaller than this relative to the data, zeros. */
export const TIE_TOLERANCE = 1e-9;

/**
 * scipy's 'auto' in `scipy.stats.wilcoxon` (1.15 and later): exact without ties or zeros up to
 * 50 pairs; with ties or zeros an exact permutation test up to 13 pairs (scipy enumerates all
 * 2^13 sign flips, below its 9999 resamples); the normal approximation otherwise.
 */
const MAX_EXACT = 50;
const MAX_PERMUTATION = 13;

const near = (a: number, b: number): boolean => Math.abs(a - b) <= TIE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));

/**
 * Ranks of values (1-based) with ties given their average rank; values within a relative
 * TIE_TOLERANCE of their neighbour in sorted order are tied (so 2.0 and 1.9999999999999996,
 * which differ only by rounding in a subtraction, share a rank).
 */
export function averageRanks(values: readonly number[]): number[] {
  return rankGroups(values).ranks;
}

function rankGroups(values: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && near(order[j + 1][0], order[j][0])) j++;
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = avg;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

/**
 * Two-sided p of W+ under the null: every one of the 2^n sign assignments of the given ranks is
 * equally likely. Ranks are multiples of 1/2, so sums are counted on doubled ranks (integers);
 * without ties this is the classic exact distribution. p = min(1, 2 min(P(W+ <= w), P(W+ >= w))).
 */
function signFlipP(ranks: readonly number[], wPlus: number): number {
  const doubled = ranks.map((r) => Math.round(2 * r));
  const total = doubled.reduce((s, r) => s + r, 0);
  const counts = new Float64Array(total + 1); // counts[s]: sign assignments whose doubled W+ is s
  counts[0] = 1;
  for (const r of doubled) for (let s = total; s >= r; s--) counts[s] += counts[s - r];
  const w = Math.round(2 * wPlus);
  let below = 0;
  let above = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= w) below += counts[s];
    if (s >= w) above += counts[s];
  }
  const all = 2 ** ranks.length;
  return Math.min(1, (2 * Math.min(below, above)) / all);
}

/**
 * Paired Wilcoxon signed-rank test of x against y, two-sided, zeros dropped ('wilcox'), no
 * continuity correction: scipy.stats.wilcoxon's defaults, including its choice of method (see
 * MAX_EXACT). Differences within a relative 1e-9 of each other are ties, and within 1e-9 of the
 * pair's magnitude are zeros, so floating-point noise does not decide ranks.
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[], opts: WilcoxonOptions = {}): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError('wilcoxonSignedRank needs paired samples of equal length');
  const all = x.map((v, i) => (near(v, y[i]) ? 0 : v - y[i]));
  const zeros = all.filter((v) => v === 0).length;
  const d = all.filter((v) => v !== 0);
  const n = d.length;
  const { ranks, tieSizes } = rankGroups(d.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) wPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const wMinus = total - wPlus;
  const hasTies = tieSizes.some((t) => t > 1);
  if (opts.method !== 'asymptotic' && x.length <= MAX_EXACT) {
    if (!hasTies && zeros === 0) return { n, wPlus, wMinus, p: signFlipP(ranks, wPlus), method: 'exact' };
    if (x.length <= MAX_PERMUTATION) return { n, wPlus, wMinus, p: n === 0 ? 1 : signFlipP(ranks, wPlus), method: 'permutation' };
  }
  if (n === 0) return { n, wPlus, wMinus, p: 1, method: 'normal' };
  let tieTerm = 0;
  for (const t of tieSizes) tieTerm += t ** 3 - t;
  const mean = total / 2;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const z = variance > 0 ? (wPlus - mean) / Math.sqrt(variance) : 0;
  return { n, wPlus, wMinus, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), method: 'normal' };
}
