import type { TestReport } from './stats.js';
import type { RatingRecord } from './store.js';

const COLUMNS: (keyof RatingRecord)[] = ['ratingId', 'test', 'raterId', 'raterLabel', 'itemKey', 'prompt', 'system', 'kind', 'isTrap', 'score', 'createdAt'];

/** RFC 4180 field; cells starting with = + - @ are prefixed with ' so spreadsheets do not run them. */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per rating (long format, what pandas / R / danfo read directly). */
export function ratingsCsv(records: readonly RatingRecord[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of records) lines.push(COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Ratings plus the computed report (with and without screened raters). */
export function exportJson(test: string, records: readonly RatingRecord[], report: TestReport): string {
  return JSON.stringify({ test, exportedAt: new Date().toISOString(), report, ratings: records }, null, 2);
}
