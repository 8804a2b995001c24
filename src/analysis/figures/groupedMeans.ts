import { meanWithInterval } from '../../stats/meanInterval.js';
import { measurementsOf, type SweepResultRow } from '../sweepResults.js';

/** Mean and 95 % CI of `metric` per distinct value of `key(row)`, keys in sorted order (per-batch metrics: over batches). */
export function meansBy<K extends string | number>(
  rows: readonly SweepResultRow[],
  key: (row: SweepResultRow) => K,
  metric: string,
): Array<{ key: K; mean: number; ci95: number; n: number }> {
  const groups = new Map<K, SweepResultRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))
    .map(([k, members]) => {
      const s = meanWithInterval(measurementsOf(members, metric));
      return { key: k, mean: s.mean, ci95: s.ci95, n: s.n };
    });
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
