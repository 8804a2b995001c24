import type { MusicgenModelConfig } from '../model/modelConfig.js';

/**
 * Parameters of the MusicGen decoder (the part whose size distinguishes small / medium / large),
 * from its config: per layer self-attention and cross-attention (4 h^2 each), the feed-forward
 * (2 h ffn) and layer norms, plus K codebook embeddings of (vocab + 1) rows and K LM heads.
 * Biases are ignored (MusicGen's linear layers have none).
 */
export function decoderParameterCount(config: MusicgenModelConfig): number {
  const d = config.decoder;
  const h = d.hiddenSize;
  const perLayer = 4 * h * h + 4 * h * h + 2 * h * d.ffnDim + 3 * 2 * h;
  const embeddings = d.numCodebooks * (d.vocabSize + 1) * h;
  const heads = d.numCodebooks * h * d.vocabSize;
  return d.numLayers * perLayer + embeddings + heads + 2 * h;
}
