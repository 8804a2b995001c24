import type { ItemSettings } from '../inference/musicgen.js';
/** One row per generated sample: what was asked, how long it took, what it measures like. */
export interface SweepResultRow extends ItemSettings {
  sampleId: string;
  sweep: string;
  model: string;
  modelPath: string;
  dtype: string;
  /** Decoder parameters, from the config (see decoderParameterCount). */
  decoderParams: number;
  promptId: string;
  prompt: string | null;
  /** Melody file the prompt names (conditioning only on melody models; chroma match on all). */
  melody: string | null;
  durationSeconds: number;
  frames: number;
  sampleRate: number;
  /** The wav, relative to the sweep's output folder (forward slashes). */
  file: string;
  /** Index of the generateBatch call that made the sample (per sweep run) and its size. */
  batchIndex: number;
  batchSize: number;
  /** Wall time of the whole batch call, and this sample's share of it (batch / size). */
  batchWallMs: number;
  wallMs: number;
  textEncoderMs: number;
  decoderMs: number;
  codecMs: number;
  decoderCalls: number;
  /** Wall seconds (share) per second of audio: < 1 is faster than real time. */
  realTimeFactor: number;
  /** Decoder forwards per second of the batch (each forward advances every item one step). */
  stepsPerSecond: number;
  /** Peak resident set size sampled during the batch, and the process's lifetime max, MB. */
  peakRssMb: number;
  maxRssMb: number;
  loudnessLufs: number | null;
  chromaMatchRate: number | null;
  entropyBits: number;
  distinctRatio: number;
  entropyBitsByCodebook: number[];
  distinctRatioByCodebook: number[];
  spectralCentroidHz: number | null;
  spectralFlatness: number | null;
  /** Values of user-supplied embedding metrics, by metric name. */
  embedding: Record<string, number | null>;
}

export type FlatCell = string | number | boolean | null;
export type FlatRow = Record<string, FlatCell>;

/** Numeric columns that summaries and figures can average. */
export const NUMERIC_METRICS = [
  'wallMs',
  'realTimeFactor',
  'stepsPerSecond',
  'peakRssMb',
  'loudnessLufs',
  'chromaMatchRate',
  'entropyBits',
  'distinctRatio',
  'spectralCentroidHz',
  'spectralFlatness',
] as const;
export type NumericMetric = (typeof NUMERIC_METRICS)[number];

/**
 * Columns measured once per decoder batch and copied onto each of its samples: speed, memory and
 * wall time. A sample of a batch is not an independent measurement of them, so summaries count
 * them once per batch (measurementsOf) — n samples of one batch are one measurement, no CI.
 */
export const PER_BATCH_METRICS: ReadonlySet<string> = new Set([
  'batchWallMs',
  'wallMs',
  'realTimeFactor',
  'stepsPerSecond',
  'peakRssMb',
  'maxRssMb',
  'textEncoderMs',
  'decoderMs',
  'codecMs',
  'decoderCalls',
]);

/**
 * The measurements of `metric` among `rows`: one per row, or one per decoder batch for
 * PER_BATCH_METRICS. A batch is one generateBatch call: its index within a run and its wall time
 * (a resumed run numbers its batches from 0 again, the wall time tells them apart).
 */
export function measurementsOf(rows: readonly SweepResultRow[], metric: string): number[] {
  if (!PER_BATCH_METRICS.has(metric)) return rows.map((r) => metricValue(r, metric)).filter((v): v is number => v !== null);
  const byBatch = new Map<string, number>();
  for (const r of rows) {
    const v = metricValue(r, metric);
    if (v !== null) byBatch.set(`${r.model}|${r.batchIndex}|${r.batchWallMs}`, v);
  }
  return [...byBatch.values()];
}

/** Human labels (with units) for axes and tables. */
export const METRIC_LABELS: Record<string, string> = {
  wallMs: 'wall time per sample (ms)',
  realTimeFactor: 'real-time factor (s per s of audio)',
  stepsPerSecond: 'decode steps/s',
  peakRssMb: 'peak memory (MB RSS)',
  loudnessLufs: 'integrated loudness (LUFS)',
  chromaMatchRate: 'chroma match rate',
  entropyBits: 'token entropy (bits)',
  distinctRatio: 'distinct-token ratio',
  spectralCentroidHz: 'spectral centroid (Hz)',
  spectralFlatness: 'spectral flatness',
  cfgCoef: 'CFG coefficient',
  temperature: 'temperature',
  topK: 'top-k',
  topP: 'top-p',
  decoderParams: 'decoder parameters',
};

/**
 * A row with arrays and the embedding map spread into scalar columns (entropyBits_cb0, ...,
 * emb_<name>), as CSV and DataFrames need.
 */
export function flattenRow(row: SweepResultRow): FlatRow {
  const { entropyBitsByCodebook, distinctRatioByCodebook, embedding, ...scalars } = row;
  const out: FlatRow = { ...scalars };
  entropyBitsByCodebook.forEach((v, k) => (out[`entropyBits_cb${k}`] = v));
  distinctRatioByCodebook.forEach((v, k) => (out[`distinctRatio_cb${k}`] = v));
  for (const [name, v] of Object.entries(embedding)) out[`emb_${name}`] = v;
  return out;
}

/** The value of a numeric column of a row (embedding metrics by `emb_<name>`), or null. */
export function metricValue(row: SweepResultRow, metric: string): number | null {
  if (metric.startsWith('emb_')) return row.embedding[metric.slice(4)] ?? null;
  const v = (row as unknown as Record<string, unknown>)[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
