import type * as ort from 'onnxruntime-node';
import { PAST_LENGTH_INPUT } from '../model/decoderLayout.js';
import { KvBufferDecoderState } from './kvBufferDecoderState.js';
import { MergedDecoderState } from './mergedDecoderState.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

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

/**
 * The decoder state for the session's graph: kvbuffer when it takes `past_sequence_length`, else
 * merged. `tokenSteps` (the delayed sequence length the loop will feed, when known) lets the
 * kvbuffer state reserve its cache once.
 */
export function createDecoderState(
  session: ort.InferenceSession,
  config: MusicgenModelConfig,
  conditioning: DecoderConditioning,
  tokenSteps = 0,
): DecoderState {
  return session.inputNames.includes(PAST_LENGTH_INPUT)
    ? new KvBufferDecoderState(session, config, conditioning, { tokenSteps })
    : new MergedDecoderState(session, config, conditioning);
}

