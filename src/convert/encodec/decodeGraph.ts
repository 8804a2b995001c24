import { OnnxGraph } from '../graph.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';
import { checkCodebookCount, quantizerDecode } from './quantizer.js';
import type { Signal } from './signal.js';
import { decoderTopChannels, seanetDecoder, seanetDecoderFrames, seanetDecoderUpsample } from './seanet.js';

/**
 * `encodec_decode`: audio_codes int64 [1, batch_size, numCodebooks, frames] -> audio_values
 * float32 [batch_size, audio_channels, frames * hop_length], as HF EncodecModel.decode(codes,
 * [None]) without chunking: codebook embeddings summed, then the SEANet decoder.
 */
/** The audio_codes input [1, batch_size, K, frames] and its summed codebook embeddings [batch_size, D, frames]. */
function codesEmbedding(g: OnnxGraph, config: EncodecConfig, weights: CheckedWeights, numCodebooks: number): Signal {
  checkCodebookCount(config, numCodebooks);
  const codes = g.input('audio_codes', 'int64', [1, 'batch_size', numCodebooks, 'frames']);
  return { value: quantizerDecode(g, weights, config, g.squeeze(codes, [0]), numCodebooks), channels: config.codebookDim, minLength: 1 };
}

export function buildEncodecDecodeGraph(config: EncodecConfig, weights: CheckedWeights, numCodebooks: number): OnnxGraph {
  const g = new OnnxGraph('encodec_decode');
  const audio = seanetDecoder(g, weights, config, codesEmbedding(g, config, weights, numCodebooks));
  g.output(audio.value, 'audio_values', 'float32', ['batch_size', config.audioChannels, 'samples']);
  return g;
}

/**
 * `encodec_decode_frames`: the frame-rate half of encodec_decode (codebook embeddings, first conv,
 * LSTM): audio_codes as encodec_decode -> decoder_frames float32 [batch_size, channels, frames].
 * Run once over the whole clip: the LSTM carries state across all of it.
 */
export function buildEncodecDecodeFramesGraph(config: EncodecConfig, weights: CheckedWeights, numCodebooks: number): OnnxGraph {
  const g = new OnnxGraph('encodec_decode_frames');
  const frames = seanetDecoderFrames(g, weights, config, codesEmbedding(g, config, weights, numCodebooks));
  g.output(frames.value, 'decoder_frames', 'float32', ['batch_size', decoderTopChannels(config), 'frames']);
  return g;
}

/**
 * `encodec_decode_upsample`: the sample-rate half of encodec_decode (transposed convs, residual
 * blocks, last conv): decoder_frames [batch_size, channels, frames] -> audio_values
 * [batch_size, audio_channels, frames * hop_length]. Convolutions only, so it can run on windows of
 * frames with a little context either side (inference/codecChunks.ts): its activations at the
 * sample rate are what bound EnCodec's memory.
 */
export function buildEncodecDecodeUpsampleGraph(config: EncodecConfig, weights: CheckedWeights): OnnxGraph {
  const g = new OnnxGraph('encodec_decode_upsample');
  const channels = decoderTopChannels(config);
  const frames = g.input('decoder_frames', 'float32', ['batch_size', channels, 'frames']);
  const audio = seanetDecoderUpsample(g, weights, config, { value: frames, channels, minLength: 1 });
  g.output(audio.value, 'audio_values', 'float32', ['batch_size', config.audioChannels, 'samples']);
  return g;
}
