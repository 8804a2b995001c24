import { createRequire } from 'node:module';
import { FigureDataError } from './errors.js';
import { meanWithInterval } from '../stats/meanInterval.js';
import { flattenRow, measurementsOf, NUMERIC_METRICS, PER_BATCH_METRICS, type FlatCell, type SweepResultRow } from './sweepResults.js';

type Danfo = typeof import('danfojs-node');
export type DataFrame = InstanceType<Danfo['DataFrame']>;

let danfo: Danfo | null = null;

/**
 * danfojs-node, loaded on first use: it pulls in TensorFlow.js (seconds of start-up), which the
 * sweep runner, the CLI and library users who never build a DataFrame should not pay for.
 */
function loadDanfo(): Danfo {
  danfo ??= createRequire(import.meta.url)('danfojs-node') as Danfo;
  return danfo;
}

/** Nulls become NaN in number columns (danfo infers one dtype per column) and '' in string columns. */
function frameOf(rows: ReadonlyArray<Record<string, FlatCell>>): DataFrame {
  if (rows.length === 0) throw new FigureDataError('a DataFrame needs at least one row');
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const numeric = new Set(columns.filter((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number')));
  const data = rows.map((r) => {
    const out: Record<string, string | number | boolean> = {};
    for (const c of columns) {
      const v = r[c];
      out[c] = v === null || v === undefined ? (numeric.has(c) ? Number.NaN : '') : v;
    }
    return out;
  });
  return new (loadDanfo().DataFrame)(data);
}

/**
 * The sweep results as a danfo DataFrame, one row per sample, per-codebook arrays spread into
 * columns (entropyBits_cb0, ...). Note danfo stores numbers as float32: use the plain rows (or
 * results.json) when full precision matters (seeds above 2^24).
 */
export function resultsDataFrame(rows: readonly SweepResultRow[]): DataFrame {
  return frameOf(rows.map(flattenRow));
}

/** Grouping columns a summary can split by. */
export type GroupColumn = 'model' | 'promptId' | 'topK' | 'topP' | 'temperature' | 'cfgCoef' | 'seed' | 'dtype' | 'useSampling';

export interface SummaryOptions {
  groupBy: readonly GroupColumn[];
  /** Numeric columns to summarise (default: every metric in NUMERIC_METRICS). */
  metrics?: readonly string[];
}

/**
 * One group of a summary: its keys, sample count and per metric mean, 95 % CI half-width and
 * bounds over `n` measurements (per-batch metrics: one per decoder batch; no CI below two).
 */
export interface SummaryRecord {
  group: Record<string, FlatCell>;
  n: number;
  metrics: Record<string, { mean: number; ci95: number; low: number; high: number; n: number }>;
}

/** Mean and t-based 95 % CI of every metric per group, groups in first-seen order. */
export function summarize(rows: readonly SweepResultRow[], opts: SummaryOptions): SummaryRecord[] {
  const metrics = opts.metrics ?? NUMERIC_METRICS;
  const groups = new Map<string, SweepResultRow[]>();
  for (const row of rows) {
    const key = JSON.stringify(opts.groupBy.map((g) => row[g]));
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()].map((members) => {
    const group: Record<string, FlatCell> = {};
    for (const g of opts.groupBy) group[g] = members[0][g];
    const out: SummaryRecord['metrics'] = {};
    for (const m of metrics) {
      const s = meanWithInterval(measurementsOf(members, m));
      out[m] = { mean: s.mean, ci95: s.ci95, low: s.low, high: s.high, n: s.n };
    }
    return { group, n: members.length, metrics: out };
  });
}

/**
 * A summary as flat rows: group columns, n (samples), then `<metric>_mean` and `<metric>_ci95` per
 * metric; a metric measured once per batch also gets `<metric>_batches`, the measurements its
 * mean and CI rest on (its CI is null with one batch: one measurement has no interval).
 */
export function summaryRows(rows: readonly SweepResultRow[], opts: SummaryOptions): Array<Record<string, FlatCell>> {
  return summarize(rows, opts).map((s) => {
    const out: Record<string, FlatCell> = { ...s.group, n: s.n };
    for (const [m, v] of Object.entries(s.metrics)) {
      out[`${m}_mean`] = Number.isFinite(v.mean) ? v.mean : null;
      out[`${m}_ci95`] = Number.isFinite(v.ci95) ? v.ci95 : null;
      if (PER_BATCH_METRICS.has(m)) out[`${m}_batches`] = v.n;
    }
    return out;
  });
}

/** The summary table as a danfo DataFrame (for notebooks: df.print(), plotting, further grouping). */
export function summaryDataFrame(rows: readonly SweepResultRow[], opts: SummaryOptions): DataFrame {
  return frameOf(summaryRows(rows, opts));
}
