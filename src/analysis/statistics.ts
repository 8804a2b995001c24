/** Descriptive statistics for summary tables: mean and a t-based 95 % confidence interval. */
import { studentTQuantile } from '../stats/distributions.js';

export interface MeanWithInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN for n < 2. */
  sd: number;
  /** Half-width of the t-based 95 % CI: t(0.975, n - 1) sd / sqrt(n); NaN for n < 2. */
  ci95: number;
  low: number;
  high: number;
}

/** Mean and t-based 95 % confidence interval of the finite values (NaN / null are left out). */
export function meanWithInterval(values: ReadonlyArray<number | null>): MeanWithInterval {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n: 0, mean: Number.NaN, sd: Number.NaN, ci95: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: Number.NaN, ci95: Number.NaN, low: Number.NaN, high: Number.NaN };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const ci95 = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, ci95, low: mean - ci95, high: mean + ci95 };
}
