import * as ort from 'onnxruntime-node';
import type { DecoderConditioning } from './decoderStateTypes.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

/** What a decoder state needs to know of the model to build feeds and read outputs. */
export interface DecoderDims {
  /** Codebooks per row. */
  K: number;
  vocab: number;
  layers: number;
  heads: number;
  headDim: number;
  /** Melody decoders have no cross-attention cache. */
  melody: boolean;
}

export function decoderDims(config: MusicgenModelConfig): DecoderDims {
  const c = config.decoder;
  return { K: c.numCodebooks, vocab: c.vocabSize, layers: c.numLayers, heads: c.numHeads, headDim: c.hiddenSize / c.numHeads, melody: config.melody !== null };
}

/** The feeds that stay the same for every step: conditioning text states, mask, chroma. */
export function conditioningFeeds(config: MusicgenModelConfig, conditioning: DecoderConditioning): Record<string, ort.Tensor> {
  const R = conditioning.rows;
  const T = conditioning.encoderLength;
  const textDim = config.textEncoder.dModel;
  const feeds: Record<string, ort.Tensor> = {
    encoder_hidden_states: new ort.Tensor('float32', conditioning.encoderHiddenStates, [R, T, textDim]),
    encoder_attention_mask: new ort.Tensor('int64', BigInt64Array.from(Array.from(conditioning.encoderMask), (v) => BigInt(v)), [R, T]),
  };
  if (config.melody !== null) {
    const ch = conditioning.chroma;
    if (!ch) throw new Error('melody decoders need chroma conditioning');
    feeds.input_features = new ort.Tensor('float32', ch.data, [R, ch.frames, config.melody.numChroma]);
  }
  return feeds;
}

export function inputIdsTensor(ids: ArrayLike<number>, rowsK: number, seqLen: number): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(ids), (v) => BigInt(v)), [rowsK, seqLen]);
}

/** logits [rowsK, S, V] -> the last position's [rowsK, V] (the data itself when S = 1). */
export function lastPositionLogits(logits: ort.Tensor, rowsK: number, V: number): Float32Array {
  const data = logits.data as Float32Array;
  const S = logits.dims[1];
  if (S === 1) return data;
  const last = new Float32Array(rowsK * V);
  for (let r = 0; r < rowsK; r++) last.set(data.subarray((r * S + S - 1) * V, (r * S + S) * V), r * V);
  return last;
}
