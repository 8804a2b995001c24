import type * as ort from 'onnxruntime-node';
import { PAST_LENGTH_INPUT } from '../model/decoderLayout.js';
import { KvBufferDecoderState } from './kvBufferDecoderState.js';
import { MergedDecoderState } from './mergedDecoderState.js';
import type { DecoderConditioning, DecoderState } from './decoderStateTypes.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

export type { DecoderConditioning, DecoderState } from './decoderStateTypes.js';

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

