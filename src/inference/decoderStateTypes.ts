/**
 * The interface both decoder states implement (kvBufferDecoderState.ts, mergedDecoderState.ts) and
 * what they are conditioned on. Kept apart from the factory in decoderState.ts, which imports the
 * two states, so that no import runs in a circle.
 */

/** What the decoder is conditioned on, for R rows (items, or items then null rows under CFG). */
export interface DecoderConditioning {
  rows: number;
  /** T5 last_hidden_state [R, T, textDim] (not projected; the graph projects and masks it). */
  encoderHiddenStates: Float32Array;
  encoderLength: number;
  /** [R, T] 1 = token, 0 = padding or null condition. */
  encoderMask: ArrayLike<number>;
  /** Melody models: chroma frames [R, frames, numChroma] (tiled to chroma_length in the graph). */
  chroma?: { data: Float32Array; frames: number };
}

/**
 * One decoder KV cache over `rows` rows: the first step takes the whole initial sequence with an
 * empty cache, later steps one position each.
 */
export interface DecoderState {
  readonly conditioning: DecoderConditioning;
  /** Cached positions (prefix + tokens) so far. */
  readonly pastLength: number;
  /**
   * Runs the decoder on `seqLen` new steps of ids ([rows*K, seqLen], row r = (row r div K,
   * codebook r mod K)) and returns the logits of the last position, [rows*K, vocab].
   */
  step(ids: ArrayLike<number>, seqLen: number): Promise<Float32Array>;
}
