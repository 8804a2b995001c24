/**
 * Mean, sample standard deviation and the t-based 95 % confidence interval of the mean: the one
 * implementation behind the sweep summaries (analysis/), the evaluation aggregates (evaluation/)
 * and the MOS report (mos/).
 *
 * The rule for n < 2: the mean is the value (NaN for no values); sd, ci95, low and high are NaN,
 * as scipy gives them (`numpy.std(x, ddof=1)`, `scipy.stats.sem`, `scipy.stats.t.interval` with
 * df = 0): one value says nothing about its spread. Not 0, which would claim a certain value; the
 * tables show the mean alone and the figures draw no whisker, and JSON writes NaN as null.
 *
 * Hand-written rather than mathjs's `mean` / `std`: those sum the values as they come, so a
 * constant column ([123.456] x 13) gets an sd of 3e-14 and a "± 1.8e-14" interval. Here the mean
 * is taken relative to the first value, so a constant column has exactly its value as the mean and
 * an interval of exactly 0, and other data lose nothing (the spread is still the two-pass sum of
 * squared residuals).
 */
import { studentTQuantile } from './distributions.js';

export interface MeanWithInterval {
  /** Finite values counted (null and NaN are left out). */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN for n < 2. */
  sd: number;
  /** Half-width of the 95 % CI, t(0.975, n - 1) sd / sqrt(n); NaN for n < 2. */
  ci95: number;
  low: number;
  high: number;
}

const finite = (values: ReadonlyArray<number | null>): number[] => values.filter((v): v is number => v !== null && Number.isFinite(v));

/** Arithmetic mean, exact for a constant column; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const first = values[0];
  let shifted = 0;
  for (const x of values) shifted += x - first;
  return first + shifted / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); NaN for fewer than two values. */
export function sampleSd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let squares = 0;
  for (const x of values) squares += (x - m) ** 2;
  return Math.sqrt(squares / (n - 1));
}

/** Mean and t-based 95 % confidence interval of the finite values (null and NaN are left out). */
export function meanWithInterval(values: ReadonlyArray<number | null>): MeanWithInterval {
  const xs = finite(values);
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { n, mean: m, sd: Number.NaN, ci95: Number.NaN, low: Number.NaN, high: Number.NaN };
  const sd = sampleSd(xs);
  const ci95 = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, ci95, low: m - ci95, high: m + ci95 };
}
