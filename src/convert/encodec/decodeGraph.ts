import { OnnxGraph } from '../graph.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../inference/modelConfig.js';
import { checkCodebookCount, quantizerDecode } from './quantizer.js';
import { seanetDecoder } from './seanet.js';

/**
 * `encodec_decode`: audio_codes int64 [1, batch_size, numCodebooks, frames] -> audio_values
 * float32 [batch_size, audio_channels, frames * hop_length], as HF EncodecModel.decode(codes,
 * [None]) without chunking: codebook embeddings summed, then the SEANet decoder.
 */
export function buildEncodecDecodeGraph(config: EncodecConfig, weights: CheckedWeights, numCodebooks: number): OnnxGraph {
  checkCodebookCount(config, numCodebooks);
  const g = new OnnxGraph('encodec_decode');
  const codes = g.input('audio_codes', 'int64', [1, 'batch_size', numCodebooks, 'frames']);
  const embeddings = quantizerDecode(g, weights, config, g.squeeze(codes, [0]), numCodebooks);
  const audio = seanetDecoder(g, weights, config, { value: embeddings, channels: config.codebookDim, minLength: 1 });
  g.output(audio.value, 'audio_values', 'float32', ['batch_size', config.audioChannels, 'samples']);
  return g;
}
