/**
 * Rows and aggregates of an evaluation run: one row per (model, segment), and per model the mean
 * with a t-based 95 % CI over segments of `ce` and each `ce_qk`. Perplexities are exp of those:
 * `ppl` = exp(mean ce), its interval exp of the CE interval (docs/EVALUATION.md).
 */
import { meanWithInterval } from '../stats/meanInterval.js';
import type { FlatRow } from '../analysis/sweepResults.js';

/** One scored segment. */
export interface EvaluationRow {
  model: string;
  id: string;
  frames: number;
  /** The text condition used (null: the null condition). */
  text: string | null;
  crossEntropy: number[];
  perplexity: number[];
  tokens: number[];
  ce: number;
  ppl: number;
  /** Seconds of audio and decoder milliseconds (speed). */
  audioSeconds: number;
  decoderMs: number;
}

export interface IntervalSummary {
  mean: number;
  ci95: number;
  low: number;
  high: number;
}

/** Aggregates of one model over its segments. */
export interface ModelSummary {
  model: string;
  /** Decoder parameters (for perplexity against model size); null when unknown. */
  parameters: number | null;
  items: number;
  /** Mean over segments of `ce` (nats) with its 95 % CI. */
  ce: IntervalSummary;
  /** exp(mean ce) and exp of the CE interval. */
  ppl: IntervalSummary;
  /** Per codebook, the same. */
  crossEntropy: IntervalSummary[];
  perplexity: IntervalSummary[];
  /** Seconds of audio scored per second of decoder time. */
  audioSecondsPerSecond: number;
}

function interval(values: number[]): IntervalSummary {
  const m = meanWithInterval(values);
  return { mean: m.mean, ci95: m.ci95, low: m.low, high: m.high };
}

function expInterval(i: IntervalSummary): IntervalSummary {
  return { mean: Math.exp(i.mean), ci95: Math.exp(i.high) - Math.exp(i.mean), low: Math.exp(i.low), high: Math.exp(i.high) };
}

/** Per-model aggregates, in the order models first appear. */
export function summarizeEvaluation(rows: readonly EvaluationRow[], parameters: ReadonlyMap<string, number> = new Map()): ModelSummary[] {
  const models = [...new Set(rows.map((r) => r.model))];
  return models.map((model) => {
    const mine = rows.filter((r) => r.model === model);
    const K = mine[0].crossEntropy.length;
    const ce = interval(mine.map((r) => r.ce));
    const perCodebook = Array.from({ length: K }, (_, k) => interval(mine.map((r) => r.crossEntropy[k])));
    const audio = mine.reduce((a, r) => a + r.audioSeconds, 0);
    const decoder = mine.reduce((a, r) => a + r.decoderMs, 0) / 1000;
    return {
      model,
      parameters: parameters.get(model) ?? null,
      items: mine.length,
      ce,
      ppl: expInterval(ce),
      crossEntropy: perCodebook,
      perplexity: perCodebook.map(expInterval),
      audioSecondsPerSecond: decoder > 0 ? audio / decoder : Number.NaN,
    };
  });
}

/** A row for results.csv: ce_q1..ce_qK and ppl_q1..ppl_qK as AudioCraft names them. */
export function flatEvaluationRow(r: EvaluationRow): FlatRow {
  const row: FlatRow = { model: r.model, id: r.id, frames: r.frames, text: r.text, ce: r.ce, ppl: r.ppl };
  r.crossEntropy.forEach((v, k) => (row[`ce_q${k + 1}`] = v));
  r.perplexity.forEach((v, k) => (row[`ppl_q${k + 1}`] = v));
  row.audio_seconds = r.audioSeconds;
  row.decoder_ms = r.decoderMs;
  return row;
}

/** A summary row for summary.csv. */
export function flatSummaryRow(s: ModelSummary): FlatRow {
  const row: FlatRow = { model: s.model, parameters: s.parameters, items: s.items };
  const put = (name: string, i: IntervalSummary): void => {
    row[name] = i.mean;
    row[`${name}_low`] = i.low;
    row[`${name}_high`] = i.high;
  };
  put('ce', s.ce);
  put('ppl', s.ppl);
  s.crossEntropy.forEach((i, k) => put(`ce_q${k + 1}`, i));
  s.perplexity.forEach((i, k) => put(`ppl_q${k + 1}`, i));
  row.audio_seconds_per_second = s.audioSecondsPerSecond;
  return row;
}
