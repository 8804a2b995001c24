/**
 * Token sampling on one row of guided logits (one batch item, one codebook; docs/ARCHITECTURE.md,
 * "Generation rules"), as AudioCraft's LMModel._sample_next_token with utils.sample_top_k / sample_top_p:
 *
 *   useSampling = false or temperature = 0  -> argmax (first maximum wins, like torch.argmax)
 *   otherwise probs = softmax(logits / temperature), then
 *     topP > 0        -> keep a token when the mass of the tokens sorted before it is <= topP
 *                        (so the most likely token is always kept), renormalise, sample
 *     else topK > 0   -> keep every token whose probability is >= the k-th largest (ties with the
 *                        k-th value are all kept, as AudioCraft's `probs >= min_value_top_k`)
 *     else            -> the full distribution
 *
 * Where we pin down what AudioCraft leaves to chance:
 * - top-p among equal probabilities: AudioCraft orders them by torch.sort (not stable), so which
 *   tied token survives at the boundary is unspecified. We order ties by token id (lowest first),
 *   the result of a stable sort, so a seed always gives the same tokens.
 * - top-p boundary: float32 logits cannot place the cumulative mass more precisely than ~1e-7, so
 *   a mass within TOP_P_TOLERANCE of p counts as equal to p (kept). AudioCraft's float32 cumsum
 *   decides such cases by rounding.
 * - topK >= vocabulary size keeps everything (torch.topk would raise).
 *
 * Probabilities are computed in float64. A TokenSampler owns scratch buffers for its vocabulary
 * size, so sampling allocates nothing per call. Top-k uses an O(V) selection of the k-th value,
 * top-p a heap popped only as far as the kept mass needs; neither sorts the vocabulary.
 */

import { MusicgenError } from '../errors.js';
import type { Rng } from './rng.js';

/** Sampling settings of one row (a subset of GenerationParams). */
export interface SamplingParams {
  useSampling: boolean;
  topK: number;
  topP: number;
  temperature: number;
}

/** Relative slack of the top-p boundary test (see the module comment). */
export const TOP_P_TOLERANCE = 1e-6;

/** Thrown when a logits row cannot define a distribution (NaN, or no finite maximum). */
export class SamplingError extends MusicgenError {}

/**
 * Index (relative to `offset`) of the largest of `length` values from `offset`; the first maximum
 * wins, as torch.argmax. NaN is treated as the largest value, as torch does.
 */
export function argmax(values: ArrayLike<number>, offset: number = 0, length: number = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset];
  if (Number.isNaN(bestValue)) return 0;
  for (let i = 1; i < length; i++) {
    const v = values[offset + i];
    if (Number.isNaN(v)) return i;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

export class TokenSampler {
  readonly vocabSize: number;
  /** Unnormalised probabilities exp((l - max) / T) of the current row; zero where filtered out. */
  private readonly weights: Float64Array;
  /** Scratch copy for the k-th value selection. */
  private readonly selection: Float64Array;
  /** Heap of token ids for top-p. */
  private readonly heap: Int32Array;

  constructor(vocabSize: number) {
    if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
      throw new RangeError(`vocabSize must be a positive integer, got ${String(vocabSize)}`);
    }
    this.vocabSize = vocabSize;
    this.weights = new Float64Array(vocabSize);
    this.selection = new Float64Array(vocabSize);
    this.heap = new Int32Array(vocabSize);
  }

  /**
   * Draws one token id from the row `logits[offset .. offset + vocabSize)` under `params`, using
   * one uniform draw of `rng` (none in greedy mode).
   */
  sample(logits: ArrayLike<number>, params: SamplingParams, rng: Rng, offset: number = 0): number {
    if (!params.useSampling || params.temperature === 0) return argmax(logits, offset, this.vocabSize);
    const total = this.filteredWeights(logits, params, offset);
    const w = this.weights;
    const target = rng.nextFloat() * total;
    let acc = 0;
    let last = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      const wi = w[i];
      if (wi === 0) continue;
      acc += wi;
      last = i;
      if (target < acc) return i;
    }
    return last; // target rounded up to the total: the last kept token
  }

  /**
   * The distribution `sample` draws from, normalised, written to `out` (length vocabSize).
   * Greedy settings give a one-hot row. Useful for entropy metrics and tests.
   */
  distribution(
    logits: ArrayLike<number>,
    params: SamplingParams,
    out: Float64Array = new Float64Array(this.vocabSize),
    offset: number = 0,
  ): Float64Array {
    if (!params.useSampling || params.temperature === 0) {
      out.fill(0);
      out[argmax(logits, offset, this.vocabSize)] = 1;
      return out;
    }
    const total = this.filteredWeights(logits, params, offset);
    for (let i = 0; i < this.vocabSize; i++) out[i] = this.weights[i] / total;
    return out;
  }

  /** Fills `weights` with the kept unnormalised probabilities; returns their sum (index order). */
  private filteredWeights(logits: ArrayLike<number>, params: SamplingParams, offset: number): number {
    const V = this.vocabSize;
    const w = this.weights;
    let max = -Infinity;
    for (let i = 0; i < V; i++) {
      const v = logits[offset + i];
      if (Number.isNaN(v)) throw new SamplingError(`logit ${i} of the row is NaN`);
      if (v > max) max = v;
    }
    if (!Number.isFinite(max)) throw new SamplingError(`the row has no finite maximum logit (max ${max})`);
    const temperature = params.temperature;
    let total = 0;
    for (let i = 0; i < V; i++) {
      const wi = Math.exp((logits[offset + i] - max) / temperature);
      w[i] = wi;
      total += wi;
    }
    if (params.topP > 0) {
      if (params.topP < 1) this.keepTopP(params.topP * total * (1 + TOP_P_TOLERANCE));
    } else if (params.topK > 0 && params.topK < V) {
      this.keepTopK(params.topK);
    } else {
      return total;
    }
    total = 0;
    for (let i = 0; i < V; i++) total += w[i];
    return total;
  }

  /** Zeroes every weight below the k-th largest (ties with the k-th value survive). */
  private keepTopK(k: number): void {
    const w = this.weights;
    const sel = this.selection;
    sel.set(w);
    const threshold = kthLargest(sel, k);
    for (let i = 0; i < this.vocabSize; i++) if (w[i] < threshold) w[i] = 0;
  }

  /**
   * Pops tokens in order (weight descending, id ascending) while the mass popped before each is
   * <= `massLimit` (unnormalised); zeroes the rest.
   */
  private keepTopP(massLimit: number): void {
    const w = this.weights;
    const heap = this.heap;
    const V = this.vocabSize;
    for (let i = 0; i < V; i++) heap[i] = i;
    for (let i = (V >> 1) - 1; i >= 0; i--) siftDown(heap, w, i, V);
    let size = V;
    let before = 0;
    while (size > 0) {
      const top = heap[0];
      if (before > massLimit) break;
      before += w[top];
      size--;
      heap[0] = heap[size];
      siftDown(heap, w, 0, size);
    }
    for (let i = 0; i < size; i++) w[heap[i]] = 0;
  }
}

/** Heap order: larger weight first, then lower token id. */
function above(w: Float64Array, a: number, b: number): boolean {
  const wa = w[a];
  const wb = w[b];
  return wa > wb || (wa === wb && a < b);
}

function siftDown(heap: Int32Array, w: Float64Array, start: number, size: number): void {
  let i = start;
  const item = heap[i];
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const child = r < size && above(w, heap[r], heap[l]) ? r : l;
    if (!above(w, heap[child], item)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = item;
}

/**
 * The k-th largest value (k >= 1) of `a`, reordering `a` in place: quickselect with a three-way
 * partition (robust to many equal values) and a median-of-three pivot. O(n) on average.
 */
export function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // [lo, lt) > pivot, [lt, i) == pivot, (gt, hi] < pivot
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v > pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v < pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else {
        i++;
      }
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[target];
}
