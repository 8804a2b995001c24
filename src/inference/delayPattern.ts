/**
 * MusicGen's delay pattern as pure functions over flat row-major buffers (docs/ARCHITECTURE.md).
 *
 * A decoder sequence is a (B*K, maxLength) matrix: row r = (batch item r div K, codebook r mod K),
 * column = decoder step. Codebook k is delayed by d_k steps (mono d_k = k; stereo interleaves
 * L0 R0 L1 R1 ... with d_k = k div 2), so step s of codebook k holds frame s - 1 - d_k, and the
 * cells outside [0, F) frames hold the special (BOS = pad) id. Step 0 is all special.
 *
 * The mask mirrors Hugging Face's `build_delay_pattern_mask`: -1 marks a free cell (filled by the
 * sampler), any other value is forced — the BOS/pad id in the two triangles, or a prompt code for
 * audio continuation. The token loop samples only the free cells of a step and writes the forced
 * value into the others, so the decoder never sees a sampled value where the pattern owns the cell.
 */

import { MusicgenError } from '../errors.js';
import { framesForSequenceLength, numDistinctDelays } from '../model/stepCount.js';

/** Marks a free (sampled) cell of a delay pattern mask. */
export const FREE_CELL = -1;

/** Thrown for inconsistent delay-pattern shapes or buffers. */
export class DelayPatternError extends MusicgenError {}

/** Geometry of a decoder sequence. */
export interface DelayPatternShape {
  /** Batch items B (not doubled for CFG: the guided rows share one sequence). */
  batchSize: number;
  /** Codebooks K per item (4 mono, 8 stereo). */
  numCodebooks: number;
  /** 1 (mono) or 2 (stereo, interleaved codebooks). Default 1. */
  audioChannels?: number;
  /** Steps including the BOS column (HF's `max_length` = totalFrames + K'). */
  maxLength: number;
}

export interface DelayPatternOptions extends DelayPatternShape {
  /** The BOS / pad id (= codebook size: 2048 for real models). */
  specialId: number;
  /**
   * Known prompt frames per row for continuation, row-major (B*K, promptFrames), row b*K + k
   * (the layout of EnCodec's `audio_codes[0]` reshaped). Codebook k's frame j is forced at step
   * j + 1 + d_k.
   */
  promptCodes?: ArrayLike<number>;
  /** Number of prompt frames P (required with promptCodes). */
  promptFrames?: number;
}

/** Per-codebook delays: mono [0, 1, ..., K-1]; stereo [0, 0, 1, 1, ..., K/2-1, K/2-1]. */
export function codebookDelays(numCodebooks: number, audioChannels: number = 1): Int32Array {
  numDistinctDelays(numCodebooks, audioChannels); // validates the pair
  const delays = new Int32Array(numCodebooks);
  for (let k = 0; k < numCodebooks; k++) delays[k] = Math.floor(k / audioChannels);
  return delays;
}

function checkShape(shape: DelayPatternShape): { rows: number; delays: Int32Array; numDelays: number } {
  const { batchSize, numCodebooks, maxLength } = shape;
  const audioChannels = shape.audioChannels ?? 1;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new DelayPatternError(`batchSize must be an integer >= 1, got ${String(batchSize)}`);
  }
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new DelayPatternError(`maxLength must be an integer >= 1, got ${String(maxLength)}`);
  }
  const delays = codebookDelays(numCodebooks, audioChannels);
  return { rows: batchSize * numCodebooks, delays, numDelays: numCodebooks / audioChannels };
}

function checkBuffer(name: string, buf: ArrayLike<number>, expected: number): void {
  if (buf.length !== expected) {
    throw new DelayPatternError(`${name} has ${buf.length} entries, expected ${expected}`);
  }
}

/**
 * Builds the (B*K, maxLength) delay pattern mask, as HF's `build_delay_pattern_mask`: cell (r, s)
 * of codebook k is the special id where s <= d_k (BOS triangle) or s >= maxLength - (K' - 1 - d_k)
 * (end pad triangle), the prompt code of frame s - 1 - d_k where that frame is a prompt frame,
 * and FREE_CELL elsewhere.
 *
 * (HF skips the mask entirely when maxLength < 2K' - 1, a degenerate case of under K' - 1 frames
 * that its own reversal cannot handle; we always apply the pattern.)
 */
export function buildDelayPatternMask(options: DelayPatternOptions): Int32Array {
  const { rows, delays, numDelays } = checkShape(options);
  const { maxLength, specialId, numCodebooks } = options;
  const promptFrames = options.promptFrames ?? 0;
  if (!Number.isSafeInteger(promptFrames) || promptFrames < 0) {
    throw new DelayPatternError(`promptFrames must be an integer >= 0, got ${String(promptFrames)}`);
  }
  if (promptFrames > 0) {
    if (!options.promptCodes) throw new DelayPatternError('promptFrames > 0 needs promptCodes');
    checkBuffer('promptCodes', options.promptCodes, rows * promptFrames);
  }
  const frames = framesForSequenceLength(maxLength, numDelays);
  if (promptFrames > frames) {
    throw new DelayPatternError(
      `the prompt (${promptFrames} frames) does not fit a sequence of ${maxLength} steps (${frames} frames)`,
    );
  }
  const prompt = options.promptCodes;
  const mask = new Int32Array(rows * maxLength);
  for (let r = 0; r < rows; r++) {
    const d = delays[r % numCodebooks];
    const base = r * maxLength;
    const endPad = maxLength - (numDelays - 1 - d);
    for (let s = 0; s < maxLength; s++) {
      let v = FREE_CELL;
      if (s <= d || s >= endPad) {
        v = specialId;
      } else if (prompt && s - 1 - d < promptFrames) {
        v = prompt[r * promptFrames + (s - 1 - d)];
      }
      mask[base + s] = v;
    }
  }
  return mask;
}

/**
 * First step the loop must generate: the first free cell of row 0 (codebook 0 has no delay, so it
 * is 1 + promptFrames). HF cuts the initial decoder input there.
 */
export function firstFreeStep(mask: ArrayLike<number>, maxLength: number): number {
  for (let s = 0; s < maxLength; s++) if (mask[s] === FREE_CELL) return s;
  return maxLength;
}

/**
 * The initial decoder input: columns [0, upToStep) of every row of the mask, row-major
 * (B*K, upToStep). Forced cells only, so this is the BOS column plus the delayed prompt.
 */
export function initialDecoderInputIds(
  mask: ArrayLike<number>,
  shape: DelayPatternShape,
  upToStep: number = firstFreeStep(mask, shape.maxLength),
): Int32Array {
  const { rows } = checkShape(shape);
  const { maxLength } = shape;
  checkBuffer('mask', mask, rows * maxLength);
  const out = new Int32Array(rows * upToStep);
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < upToStep; s++) {
      const v = mask[r * maxLength + s];
      if (v === FREE_CELL) {
        throw new DelayPatternError(`cell (${r}, ${s}) before step ${upToStep} is free, not part of the initial input`);
      }
      out[r * upToStep + s] = v;
    }
  }
  return out;
}

/**
 * The token loop's masking of one step: `column` holds one id per row (B*K) for `step`; forced
 * cells are replaced by the mask's value in place, free cells keep theirs. No allocation.
 */
export function applyDelayPatternMaskAtStep(
  column: Int32Array | number[],
  mask: ArrayLike<number>,
  maxLength: number,
  step: number,
): void {
  const rows = column.length;
  for (let r = 0; r < rows; r++) {
    const v = mask[r * maxLength + step];
    if (v !== FREE_CELL) column[r] = v;
  }
}

/**
 * Reverts the pattern of a masked sequence (B*K, maxLength): frame t of codebook k is step
 * t + 1 + d_k. Returns codes (B, K, F) row-major with F = maxLength - K' (prompt frames included),
 * the layout EnCodec decodes. Equivalent to HF's "apply the mask, drop every special id".
 */
export function revertDelayPattern(sequence: ArrayLike<number>, shape: DelayPatternShape): Int32Array {
  const { rows, delays, numDelays } = checkShape(shape);
  const { maxLength, numCodebooks } = shape;
  checkBuffer('sequence', sequence, rows * maxLength);
  const frames = framesForSequenceLength(maxLength, numDelays);
  const codes = new Int32Array(rows * frames);
  for (let r = 0; r < rows; r++) {
    const offset = r * maxLength + 1 + delays[r % numCodebooks];
    for (let t = 0; t < frames; t++) codes[r * frames + t] = sequence[offset + t];
  }
  return codes;
}
