import { attr, type OnnxGraph } from '../graph.js';
import { ConversionError } from '../errors.js';
import { transpose2d, type CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';

function embedName(q: number): string {
  return `audio_encoder.quantizer.layers.${q}.codebook.embed`;
}

/**
 * Quantizers HF's EncodecModel.encode() uses by default: bandwidth target_bandwidths[0] gives
 * max(1, floor(bandwidth * 1000 / (log2(codebook_size) * frame_rate))), and `layers[:n]` clamps
 * that to the quantizer layers that exist (config.num_quantizers, from target_bandwidths[-1]).
 * The tiny fixtures ask for 7 of their 4 layers; the real 2048-entry codebooks give exactly 4.
 */
export function encodeQuantizerCount(config: EncodecConfig): number {
  const bwPerQ = Math.log2(config.codebookSize) * config.frameRate;
  const n = Math.max(1, Math.floor((config.targetBandwidths[0] * 1000) / bwPerQ));
  return Math.min(n, config.numQuantizers);
}

/** Fails early when a graph is asked for more codebooks than the checkpoint has quantizer layers. */
export function checkCodebookCount(config: EncodecConfig, numCodebooks: number): void {
  if (!Number.isInteger(numCodebooks) || numCodebooks < 1 || numCodebooks > config.numQuantizers) {
    throw new ConversionError(
      `EnCodec graph for ${numCodebooks} codebooks: the audio encoder has ${config.numQuantizers} quantizer layers`,
    );
  }
}

/**
 * HF EncodecResidualVectorQuantizer.decode: the sum over codebooks of their `embed` rows.
 * codes is int64 [B, K, F]; the result is float32 [B, codebook_dim, F]. Each codebook has its own
 * Gather so an out-of-range code fails in onnxruntime instead of reading a neighbouring table.
 */
export function quantizerDecode(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, codes: string, numCodebooks: number): string {
  let sum = '';
  for (let q = 0; q < numCodebooks; q++) {
    const embed = g.weight(embedName(q), 'float32', [config.codebookSize, config.codebookDim], weights.get(embedName(q), [config.codebookSize, config.codebookDim]));
    const ids = g.gather(codes, g.scalarI64(q), 1); // [B, F]
    const rows = g.gather(embed, ids, 0); // [B, F, D]
    sum = q === 0 ? rows : g.add(sum, rows);
  }
  return g.transpose(sum, [0, 2, 1]);
}

/**
 * HF EncodecResidualVectorQuantizer.encode: per quantizer, the nearest `embed` row by
 * argmax of -(|x|^2 - 2 x.e + |e|^2) (evaluated in HF's order; ArgMax keeps the first maximum
 * like torch.max), then the chosen rows are subtracted before the next quantizer.
 * embeddings is float32 [B, D, F]; the result is int64 [B, numQuantizers, F].
 */
export function quantizerEncode(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, embeddings: string, numQuantizers: number): string {
  const { codebookSize: c, codebookDim: d } = config;
  let residual = g.transpose(embeddings, [0, 2, 1]); // [B, F, D]
  const lastAxis = g.constI64([-1]);
  const two = g.scalarF32(2);
  const codes: string[] = [];
  for (let q = 0; q < numQuantizers; q++) {
    const e = weights.get(embedName(q), [c, d]);
    const embedT = g.weight(`${embedName(q)}.T`, 'float32', [d, c], transpose2d(e, c, d));
    const norms = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s = Math.fround(s + Math.fround(e[i * d + j] * e[i * d + j]));
      norms[i] = s;
    }
    const scaled = g.node('ReduceSum', [g.mul(residual, residual), lastAxis], { keepdims: attr.int(1) }); // [B, F, 1]
    const dot = g.mul(two, g.matMul(residual, embedT)); // [B, F, C]
    const dist = g.neg(g.add(g.sub(scaled, dot), g.constF32(norms, [c], 'embed_sq')));
    const ids = g.node('ArgMax', [dist], { axis: attr.int(-1), keepdims: attr.int(0), select_last_index: attr.int(0) }); // [B, F]
    codes.push(g.unsqueeze(ids, [1]));
    // The last quantizer's residual is never used, so its rows are not gathered.
    if (q + 1 < numQuantizers) residual = g.sub(residual, g.gather(g.weight(embedName(q), 'float32', [c, d], e), ids, 0));
  }
  return codes.length === 1 ? codes[0] : g.concat(codes, 1);
}
