import { mean, meanWithInterval, sampleSd as sd, type MeanWithInterval } from '../stats/meanInterval.js';
import { wilcoxonSignedRank, type WilcoxonResult } from '../stats/wilcoxon.js';
import { MUSHRA_REFERENCE_MIN, SCALE_INFO, type Scale } from './scales.js';
import type { RatingRecord } from './store.js';

/** n, mean, sd and the 95 % CI half-width of src/stats/meanInterval.ts (NaN spread for n < 2). */
export type MeanCi = Pick<MeanWithInterval, 'n' | 'mean' | 'sd' | 'ci95'>;

export interface SystemSummary extends MeanCi {
  system: string;
  /** Mean of the per-rater z-normalised scores (removes each rater's offset and spread). */
  zMean: number;
}

export interface ItemRow {
  item: string;
  prompt: string | null;
  system: string;
  n: number;
  mean: number;
}

export interface RaterSummary {
  raterId: number;
  label: string | null;
  n: number;
  mean: number;
  sd: number;
  trapsRated: number;
  trapsFailed: number;
  /** Rater's disagreement with the others (see raterTable), z-scored across raters. */
  outlierZ: number | null;
  screened: boolean;
  reasons: string[];
}

export interface PairedComparison extends WilcoxonResult {
  a: string;
  b: string;
  /** Mean over shared items of (mean score of a) - (mean score of b). */
  meanDiff: number;
}

export interface ScreeningOptions {
  /** A rater is screened when more than this share of their traps failed (BS.1534-3: 15 %). */
  maxTrapFailureRate: number;
  /** A rater is screened when their disagreement z-score exceeds this. */
  outlierZ: number;
}

export const DEFAULT_SCREENING: ScreeningOptions = { maxTrapFailureRate: 0.15, outlierZ: 2.5 };

export interface TestReport {
  scale: Scale;
  ratings: number;
  raters: RaterSummary[];
  /** All raters. */
  systems: SystemSummary[];
  /** Without screened raters. */
  systemsScreened: SystemSummary[];
  items: ItemRow[];
  paired: PairedComparison[];
  pairedScreened: PairedComparison[];
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string | number): Map<string | number, T[]> {
  const m = new Map<string | number, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** A rating counts as a trap check: ACR/OVL/REL trap clips, MUSHRA hidden references. */
function trapFailed(r: RatingRecord, scale: Scale): boolean | null {
  if (scale === 'mushra') return r.kind === 'hidden_reference' ? r.score < MUSHRA_REFERENCE_MIN : null;
  return r.kind === 'trap' ? r.score > SCALE_INFO[scale].trapMax : null;
}

const clipKey = (r: RatingRecord): string => `${r.itemKey}\u0000${r.system}`;

/** Per-rater table with screening decisions. */
export function raterTable(ratings: readonly RatingRecord[], scale: Scale, opts = DEFAULT_SCREENING): RaterSummary[] {
  const scored = ratings.filter((r) => r.kind !== 'trap');
  const z = raterZScores(scored);
  const byClip = groupBy(scored, clipKey);
  const byRater = groupBy(ratings, (r) => r.raterId);
  // Disagreement: RMS distance between a rater's z-scores and the other raters' mean z-score on
  // the same clips. Working on z-scores ignores a harsh or lenient rater's offset and spread
  // and catches raters who rank clips differently (random or reversed answers).
  const disagreement = new Map<number, number>();
  for (const [raterId, rs] of byRater) {
    const sq: number[] = [];
    for (const r of rs) {
      if (r.kind === 'trap') continue;
      const others = (byClip.get(clipKey(r)) ?? []).filter((o) => o.raterId !== raterId);
      if (others.length) sq.push(((z.get(r.ratingId) ?? 0) - mean(others.map((o) => z.get(o.ratingId) ?? 0))) ** 2);
    }
    if (sq.length) disagreement.set(Number(raterId), Math.sqrt(mean(sq)));
  }
  const dMean = mean([...disagreement.values()]);
  const dSd = sd([...disagreement.values()]);
  const rows: RaterSummary[] = [];
  for (const [raterId, rs] of byRater) {
    const checks = rs.map((r) => trapFailed(r, scale)).filter((x): x is boolean => x !== null);
    const failed = checks.filter(Boolean).length;
    const d = disagreement.get(Number(raterId));
    const outlierZ = d !== undefined && dSd > 0 ? (d - dMean) / dSd : null;
    const reasons: string[] = [];
    if (checks.length && failed / checks.length > opts.maxTrapFailureRate)
      reasons.push(`failed ${failed} of ${checks.length} trap checks`);
    if (outlierZ !== null && outlierZ > opts.outlierZ) reasons.push(`outlier (disagreement z = ${outlierZ.toFixed(2)})`);
    const own = rs.filter((r) => r.kind !== 'trap').map((r) => r.score);
    rows.push({
      raterId: Number(raterId),
      label: rs[0].raterLabel,
      n: rs.length,
      mean: mean(own),
      sd: sd(own),
      trapsRated: checks.length,
      trapsFailed: failed,
      outlierZ,
      screened: reasons.length > 0,
      reasons,
    });
  }
  return rows.sort((a, b) => a.raterId - b.raterId);
}

/** Each rating standardised by its rater's own mean and sd (keyed by rating id). */
export function raterZScores(ratings: readonly RatingRecord[]): Map<number, number> {
  const z = new Map<number, number>();
  for (const [, rs] of groupBy(ratings, (r) => r.raterId)) {
    const m = mean(rs.map((r) => r.score));
    const s = sd(rs.map((r) => r.score));
    for (const r of rs) z.set(r.ratingId, s > 0 ? (r.score - m) / s : 0);
  }
  return z;
}

function systemScores(scores: readonly number[]): MeanCi {
  const { n, mean: m, sd: s, ci95 } = meanWithInterval(scores);
  return { n, mean: m, sd: s, ci95 };
}

/** Per-system MOS with CI and z-normalised mean; trap clips are never part of a system. */
export function systemTable(ratings: readonly RatingRecord[]): SystemSummary[] {
  const scored = ratings.filter((r) => r.kind !== 'trap');
  const z = raterZScores(scored);
  return [...groupBy(scored, (r) => r.system)]
    .map(([system, rs]) => ({
      system: String(system),
      ...systemScores(rs.map((r) => r.score)),
      zMean: mean(rs.map((r) => z.get(r.ratingId) ?? 0)),
    }))
    .sort((a, b) => a.system.localeCompare(b.system));
}

export function itemTable(ratings: readonly RatingRecord[]): ItemRow[] {
  return [...groupBy(ratings, clipKey)]
    .map(([, rs]) => ({ item: rs[0].itemKey, prompt: rs[0].prompt, system: rs[0].system, n: rs.length, mean: mean(rs.map((r) => r.score)) }))
    .sort((a, b) => a.item.localeCompare(b.item) || a.system.localeCompare(b.system));
}

/** Wilcoxon signed-rank between every pair of systems on the items both were rated on. */
export function pairedComparisons(ratings: readonly RatingRecord[]): PairedComparison[] {
  const items = itemTable(ratings.filter((r) => r.kind !== 'trap'));
  const bySystem = groupBy(items, (r) => r.system);
  const systems = [...bySystem.keys()].map(String).sort();
  const out: PairedComparison[] = [];
  for (let i = 0; i < systems.length; i++)
    for (let j = i + 1; j < systems.length; j++) {
      const a = new Map((bySystem.get(systems[i]) ?? []).map((r) => [r.item, r.mean]));
      const b = new Map((bySystem.get(systems[j]) ?? []).map((r) => [r.item, r.mean]));
      const shared = [...a.keys()].filter((k) => b.has(k));
      if (shared.length === 0) continue;
      const xa = shared.map((k) => a.get(k) as number);
      const xb = shared.map((k) => b.get(k) as number);
      out.push({ a: systems[i], b: systems[j], meanDiff: mean(xa.map((v, k) => v - xb[k])), ...wilcoxonSignedRank(xa, xb) });
    }
  return out;
}

/** The full report of one test, with and without screened raters. */
export function buildReport(ratings: readonly RatingRecord[], scale: Scale, opts = DEFAULT_SCREENING): TestReport {
  const raters = raterTable(ratings, scale, opts);
  const screened = new Set(raters.filter((r) => r.screened).map((r) => r.raterId));
  const kept = ratings.filter((r) => !screened.has(r.raterId));
  return {
    scale,
    ratings: ratings.length,
    raters,
    systems: systemTable(ratings),
    systemsScreened: systemTable(kept),
    items: itemTable(ratings),
    paired: pairedComparisons(ratings),
    pairedScreened: pairedComparisons(kept),
  };
}
