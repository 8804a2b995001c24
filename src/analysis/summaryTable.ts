/**
 * Summary tables for people: one cell per metric saying "mean ± 95 % CI" with the digits the
 * interval supports, or "mean (one measurement)" where there is no interval — never a CI of
 * 3e-14 from a value copied onto every sample of a batch (resultsFrame.summarize counts those
 * once per batch). Used by report.html and the notebooks' tables.
 */
import { summarize, type SummaryOptions } from './resultsFrame.js';
import { METRIC_LABELS, PER_BATCH_METRICS, type FlatCell, type SweepResultRow } from './sweepResults.js';

/** Significant digits of a value shown without an interval. */
const PLAIN_DIGITS = 4;

/** A number with `digits` significant digits, integer digits never dropped, no exponent noise. */
export function formatSignificant(v: number, digits = PLAIN_DIGITS): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0 || Number.isInteger(v)) return String(v);
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  if (decimals > 20) return v.toPrecision(digits);
  // Trailing zeros say nothing about a plain value (5.5, not 5.500); toFixed keeps 0.000123 readable.
  const fixed = v.toFixed(decimals);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * "mean ± ci" with the interval rounded to two significant digits and the mean to the same
 * decimal place (200.3 ± 8.6, 0.512 ± 0.031); without a finite interval, the mean alone.
 */
export function formatMeanInterval(mean: number, ci95: number | null): string {
  if (!Number.isFinite(mean)) return '–';
  if (ci95 === null || !Number.isFinite(ci95)) return formatSignificant(mean);
  if (ci95 === 0) return `${formatSignificant(mean)} ± 0`;
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(ci95)));
  return `${mean.toFixed(decimals)} ± ${ci95.toFixed(decimals)}`;
}

/**
 * One cell: "mean ± CI", "mean (one measurement)" when there is a single measurement (a metric of
 * one decoder batch, or one sample), and for per-batch metrics how many batches the CI rests on.
 */
export function formatSummaryCell(metric: string, s: { mean: number; ci95: number; n: number }): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return '–';
  if (s.n === 1) return `${formatSignificant(s.mean)} (one measurement)`;
  const text = formatMeanInterval(s.mean, s.ci95);
  return PER_BATCH_METRICS.has(metric) ? `${text} (${s.n} batches)` : text;
}

/**
 * Rows for a table: the group columns, `samples`, then one formatted column per metric named by
 * its label ("decode steps/s": "200.3 ± 8.6 (3 batches)").
 */
export function summaryTableRows(rows: readonly SweepResultRow[], opts: SummaryOptions): Array<Record<string, FlatCell>> {
  return summarize(rows, opts).map((s) => {
    const out: Record<string, FlatCell> = { ...s.group, samples: s.n };
    for (const [m, v] of Object.entries(s.metrics)) out[METRIC_LABELS[m] ?? m] = formatSummaryCell(m, v);
    return out;
  });
}
