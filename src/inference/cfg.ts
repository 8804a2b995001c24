/**
 * Classifier-free guidance on decoder logits (docs/ARCHITECTURE.md):
 *
 *   guided = uncond + (cond - uncond) * cfgCoef
 *
 * on raw logits (no log-softmax), as AudioCraft and HF's ClassifierFreeGuidanceLogitsProcessor.
 * With one doubled forward the logits buffer is [2R, V] with R = B*K guided rows: the conditional
 * rows first, then the unconditional ones in the same (item, codebook) order. Two-step CFG runs two
 * forwards and passes the halves as separate buffers.
 *
 * The arithmetic is rounded to float32 after each operation, as PyTorch evaluates it on float32
 * tensors, so guided scores match HF's to the last bit given the same logits.
 */

import { MusicgenError } from '../errors.js';

/** Thrown for inconsistent buffer sizes or coefficients. */
export class GuidanceError extends MusicgenError {}

/** One coefficient for every row, or one per guided row (sweeps mix settings in one batch). */
export type CfgCoef = number | ArrayLike<number>;

const f32 = Math.fround;

/**
 * Guidance over two buffers of `rows` x `vocabSize` logits (rows counted from the given offsets,
 * in rows). Writes `rows` x `vocabSize` guided scores to `out` (which may alias `cond` at the same
 * offset) and returns it.
 */
export function applyGuidance(
  cond: Float32Array,
  uncond: Float32Array,
  rows: number,
  vocabSize: number,
  cfgCoef: CfgCoef,
  out: Float32Array = new Float32Array(rows * vocabSize),
  condRowOffset: number = 0,
  uncondRowOffset: number = 0,
): Float32Array {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(vocabSize) || vocabSize < 1) {
    throw new GuidanceError(`rows (${rows}) and vocabSize (${vocabSize}) must be non-negative integers`);
  }
  const n = rows * vocabSize;
  if ((condRowOffset + rows) * vocabSize > cond.length) {
    throw new GuidanceError(`conditional logits hold ${cond.length} values, need rows up to ${condRowOffset + rows}`);
  }
  if ((uncondRowOffset + rows) * vocabSize > uncond.length) {
    throw new GuidanceError(`unconditional logits hold ${uncond.length} values, need rows up to ${uncondRowOffset + rows}`);
  }
  if (out.length < n) throw new GuidanceError(`output holds ${out.length} values, need ${n}`);
  const perRow = typeof cfgCoef !== 'number';
  if (perRow && cfgCoef.length !== rows) {
    throw new GuidanceError(`cfgCoef has ${cfgCoef.length} entries, expected one per guided row (${rows})`);
  }
  const c0 = condRowOffset * vocabSize;
  const u0 = uncondRowOffset * vocabSize;
  for (let r = 0; r < rows; r++) {
    const coef = f32(perRow ? cfgCoef[r] : cfgCoef);
    const base = r * vocabSize;
    for (let v = 0; v < vocabSize; v++) {
      const u = uncond[u0 + base + v];
      out[base + v] = f32(u + f32(f32(cond[c0 + base + v] - u) * coef));
    }
  }
  return out;
}

/**
 * Guidance on the doubled batch of one forward: `logits` is [2 * guidedRows, vocabSize], the
 * conditional half first. Returns [guidedRows, vocabSize] guided scores (in `out` if given).
 */
export function applyClassifierFreeGuidance(
  logits: Float32Array,
  guidedRows: number,
  vocabSize: number,
  cfgCoef: CfgCoef,
  out: Float32Array = new Float32Array(guidedRows * vocabSize),
): Float32Array {
  if (logits.length !== 2 * guidedRows * vocabSize) {
    throw new GuidanceError(
      `CFG logits hold ${logits.length} values, expected 2 x ${guidedRows} rows x ${vocabSize} = ${2 * guidedRows * vocabSize}`,
    );
  }
  return applyGuidance(logits, logits, guidedRows, vocabSize, cfgCoef, out, 0, guidedRows);
}

/**
 * Expands one coefficient per batch item to one per guided row (item b covers rows b*K .. b*K+K-1).
 */
export function cfgCoefPerRow(perItem: ArrayLike<number>, numCodebooks: number): Float32Array {
  const out = new Float32Array(perItem.length * numCodebooks);
  for (let b = 0; b < perItem.length; b++) out.fill(perItem[b], b * numCodebooks, (b + 1) * numCodebooks);
  return out;
}

/**
 * Whether a call runs with CFG: the one place that decides it. Items with no condition at all
 * (unconditional) gain nothing from the doubled batch, and a coefficient of 1 for every item
 * leaves the conditional logits as they are.
 */
export function usesCfg(cfgCoefs: ArrayLike<number>, conditioned: boolean): boolean {
  return conditioned && Array.from(cfgCoefs).some((c) => c !== 1);
}

/**
 * The guidance of one token loop: B items' coefficients over K codebooks of V logits. Rows guided
 * with coefficient 1 take the conditional logits as they are, so an item run in a mixed-CFG batch
 * sees exactly what it sees alone without CFG (u + (c - u) * 1 may round).
 */
export class Guidance {
  private readonly coefPerRow: Float32Array;
  private readonly plainRows: number[];
  private readonly out: Float32Array;

  constructor(
    cfgCoefs: ArrayLike<number>,
    numCodebooks: number,
    private readonly vocabSize: number,
  ) {
    this.coefPerRow = cfgCoefPerRow(cfgCoefs, numCodebooks);
    this.plainRows = Array.from(this.coefPerRow.keys()).filter((r) => this.coefPerRow[r] === 1);
    this.out = new Float32Array(this.coefPerRow.length * vocabSize);
  }

  /** Guided [R, V] scores of one doubled forward's logits [2R, V] (conditional half first). */
  doubled(logits: Float32Array): Float32Array {
    return this.keepConditional(logits, applyClassifierFreeGuidance(logits, this.coefPerRow.length, this.vocabSize, this.coefPerRow, this.out));
  }

  /** Guided [R, V] scores of two-step CFG's conditional and unconditional logits. */
  twoStep(cond: Float32Array, uncond: Float32Array): Float32Array {
    return this.keepConditional(cond, applyGuidance(cond, uncond, this.coefPerRow.length, this.vocabSize, this.coefPerRow, this.out));
  }

  private keepConditional(cond: Float32Array, out: Float32Array): Float32Array {
    const V = this.vocabSize;
    for (const r of this.plainRows) out.set(cond.subarray(r * V, (r + 1) * V), r * V);
    return out;
  }
}
