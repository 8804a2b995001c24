/**
 * Frames <-> decoder steps arithmetic of MusicGen's delay pattern (docs/ARCHITECTURE.md, "The delay pattern").
 *
 * Vocabulary:
 * - frame: one EnCodec time step (50 per second), holding one id per codebook.
 * - step: one column of the decoder sequence. Column 0 is the BOS step (all special ids); codebook k
 *   holds frame t at step t + 1 + d_k.
 * - K' (`numDelays`): number of distinct delays, K for mono, K / 2 for stereo (L/R pairs share a
 *   delay). The last frame of the slowest codebook lands at step F + K' - 1, so the full sequence
 *   is F + K' columns long (HF's `max_length`).
 *
 * With a P-frame audio prompt HF counts BOS + P prompt columns as the initial input (1 + P) and
 * generates `max_new_tokens` N further columns; the output then has P + N - (K' - 1) frames. The
 * prompt tail of codebook k (its last d_k frames, pushed past column P by the delay) lies inside
 * the generated window and is forced, not sampled.
 */

import { MusicgenError } from '../errors.js';

/** Thrown for impossible frame/step arithmetic (negative counts, prompt longer than the output). */
export class InvalidStepCountError extends MusicgenError {}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidStepCountError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * Number of distinct codebook delays K': K for mono, K / 2 for stereo (interleaved L0 R0 L1 R1 ...).
 */
export function numDistinctDelays(numCodebooks: number, audioChannels: number = 1): number {
  checkCount('numCodebooks', numCodebooks, 1);
  if (audioChannels !== 1 && audioChannels !== 2) {
    throw new InvalidStepCountError(`audioChannels must be 1 or 2, got ${String(audioChannels)}`);
  }
  if (numCodebooks % audioChannels !== 0) {
    throw new InvalidStepCountError(
      `numCodebooks (${numCodebooks}) must be a multiple of audioChannels (${audioChannels})`,
    );
  }
  return numCodebooks / audioChannels;
}

/**
 * Decoder steps to generate after the initial input (BOS + prompt) so that the output holds
 * `totalFrames` frames, prompt included: F + K' - 1 - P. This is HF's `max_new_tokens`, and the
 * number of decoder forward calls of the generation loop (the first call consumes the whole
 * initial input and yields the first new column).
 */
export function decoderStepsForFrames(totalFrames: number, numDelays: number, promptFrames: number = 0): number {
  checkCount('totalFrames', totalFrames, 1);
  checkCount('numDelays', numDelays, 1);
  checkCount('promptFrames', promptFrames, 0);
  if (promptFrames > totalFrames) {
    throw new InvalidStepCountError(
      `the prompt (${promptFrames} frames) is longer than the requested output (${totalFrames} frames)`,
    );
  }
  return totalFrames + numDelays - 1 - promptFrames;
}

/** Columns of the initial decoder input: the BOS step plus the prompt frames (1 + P). */
export function initialSequenceLength(promptFrames: number = 0): number {
  checkCount('promptFrames', promptFrames, 0);
  return 1 + promptFrames;
}

/**
 * Full sequence length in steps, BOS column included (HF's `max_length`): F + K'. Independent of
 * the prompt length: 1 + P + (F + K' - 1 - P).
 */
export function sequenceLengthForFrames(totalFrames: number, numDelays: number): number {
  checkCount('totalFrames', totalFrames, 0);
  checkCount('numDelays', numDelays, 1);
  return totalFrames + numDelays;
}

/** Frames held by a sequence of `maxLength` steps (BOS column included): maxLength - K'. */
export function framesForSequenceLength(maxLength: number, numDelays: number): number {
  checkCount('maxLength', maxLength, 1);
  checkCount('numDelays', numDelays, 1);
  return Math.max(0, maxLength - numDelays);
}
