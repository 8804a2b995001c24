import { freemem } from 'node:os';
import { MAX_DURATION } from '../model/contextLength.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { numDistinctDelays, sequenceLengthForFrames } from '../model/stepCount.js';
import { SweepSpecError } from './errors.js';

/** Upper bound on the rows of one generateBatch call when the caller gives none. */
export const DEFAULT_MAX_BATCH = 16;
/** Text tokens assumed per prompt when estimating the encoder K/V (T5 prompts are rarely longer). */
const TEXT_TOKENS_ESTIMATE = 64;

export interface KvCacheEstimateOptions {
  /** Seconds generated per window (capped at 30 s). */
  duration: number;
  /** True when the batch runs with CFG: every item then has a conditional and a null row. */
  cfg: boolean;
  textTokens?: number;
}

/**
 * Bytes one batch item holds in decoder K/V at the last step of a window: per layer, self-attention
 * K and V over every step plus cross-attention (or, for melody models, prepended chroma + text)
 * K and V over the conditioning, fp32. onnxruntime-node hands the present K/V back as fresh
 * JavaScript buffers while the past ones are still alive, so the estimate counts three copies
 * (past in, present out, ORT's own arena) — deliberately pessimistic.
 */
export function kvCacheBytesPerItem(config: MusicgenModelConfig, opts: KvCacheEstimateOptions): number {
  const d = config.decoder;
  // One window never exceeds the 30 s context; a fraction of a frame counts as one (an upper bound).
  const frames = Math.ceil(Math.min(opts.duration, MAX_DURATION) * config.audioEncoder.frameRate);
  const steps = sequenceLengthForFrames(frames, numDistinctDelays(d.numCodebooks, d.audioChannels));
  const text = opts.textTokens ?? TEXT_TOKENS_ESTIMATE;
  const conditioning = config.melody ? config.melody.chromaLength + text : text;
  const perRow = d.numLayers * 2 * d.hiddenSize * (steps + conditioning) * 4;
  const logits = d.numCodebooks * d.vocabSize * 4;
  const rows = opts.cfg ? 2 : 1;
  return rows * (3 * perRow + logits);
}

export interface BatchPlanOptions {
  /** Largest number of items per generateBatch call (default 16). */
  maxBatch?: number;
  /** Bytes the K/V caches of one batch may take (default: half of the free memory now). */
  memoryBudgetBytes?: number;
}

/** How many items fit in one batch of this model: min(maxBatch, budget / per-item bytes), at least 1. */
export function batchCapacity(config: MusicgenModelConfig, est: KvCacheEstimateOptions, opts: BatchPlanOptions = {}): number {
  const maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new SweepSpecError(`maxBatch must be an integer >= 1 (got ${maxBatch})`);
  const budget = opts.memoryBudgetBytes ?? freemem() / 2;
  if (!(budget > 0)) throw new SweepSpecError(`memoryBudgetBytes must be a positive number of bytes (got ${budget})`);
  const perItem = kvCacheBytesPerItem(config, est);
  return Math.max(1, Math.min(maxBatch, Math.floor(budget / perItem)));
}

/**
 * Splits `items` into as few batches of at most `capacity` as possible, with sizes that differ
 * by at most one (8 items, capacity 3 -> 3, 3, 2), keeping the order.
 */
export function splitIntoBatches<T>(items: readonly T[], capacity: number): T[][] {
  if (items.length === 0) return [];
  const count = Math.ceil(items.length / capacity);
  const base = Math.floor(items.length / count);
  const extra = items.length % count;
  const out: T[][] = [];
  let at = 0;
  for (let b = 0; b < count; b++) {
    const size = base + (b < extra ? 1 : 0);
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}
