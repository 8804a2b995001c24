import { OnnxGraph } from '../graph.js';
import { ConversionError } from '../errors.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';
import { checkCodebookCount, encodeQuantizerCount, quantizerEncode } from './quantizer.js';
import { seanetEncoder } from './seanet.js';

/**
 * `encodec_encode`: input_values float32 [batch_size, audio_channels, samples] -> audio_codes
 * int64 [1, batch_size, numCodebooks, frames] (frames = ceil(samples / hop_length)), as HF
 * EncodecModel.encode(input_values) at its default bandwidth without chunking or normalisation.
 */
export function buildEncodecEncodeGraph(config: EncodecConfig, weights: CheckedWeights, numCodebooks: number): OnnxGraph {
  checkCodebookCount(config, numCodebooks);
  if (config.normalize) {
    throw new ConversionError('audio_encoder.normalize = true (per-chunk audio scales) is not supported; MusicGen EnCodec uses false');
  }
  const available = encodeQuantizerCount(config);
  if (available < numCodebooks) {
    throw new ConversionError(
      `EnCodec encode at ${config.targetBandwidths[0]} kbps keeps ${available} quantizers, fewer than the ${numCodebooks} codebooks requested`,
    );
  }
  const g = new OnnxGraph('encodec_encode');
  const audio = g.input('input_values', 'float32', ['batch_size', config.audioChannels, 'samples']);
  const embeddings = seanetEncoder(g, weights, config, { value: audio, channels: config.audioChannels, minLength: 1 });
  const codes = quantizerEncode(g, weights, config, embeddings.value, numCodebooks);
  g.output(g.unsqueeze(codes, [0]), 'audio_codes', 'int64', [1, 'batch_size', numCodebooks, 'frames']);
  return g;
}
