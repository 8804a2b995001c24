import type { T5Config } from '../model/modelConfig.js';
import { OnnxGraph } from './graph.js';
import type { CheckedWeights } from './weights.js';

/** Longest token sequence the encoder accepts (the T5 tokenizer's model_max_length). */
export const T5_MAX_TOKENS = 512;

/** torch.finfo(float32).min: HF's additive mask value (finite, so softmax never yields NaN). */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * T5's bidirectional relative position bucket (HF `_relative_position_bucket`), evaluated with
 * float32 rounding at each step as torch does, so bucket edges land where PyTorch puts them.
 * `relative` is key position minus query position.
 */
export function t5RelativeBucket(relative: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  let bucket = relative > 0 ? half : 0;
  const n = Math.abs(relative);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const logRatio = f(Math.log(f(n / maxExact)));
  const scaled = f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (half - maxExact));
  bucket += Math.min(maxExact + Math.trunc(scaled), half - 1);
  return bucket;
}

/**
 * Position-bias table for every relative offset -(L-1)..(L-1): row r holds the per-head bias of
 * offset r - (L-1). The graph gathers from it, so the bucket arithmetic never runs in onnxruntime
 * (whose float32 log could round a boundary differently from PyTorch's).
 */
function relativeBiasTable(c: T5Config, biasWeight: Float32Array, maxTokens: number): Float32Array {
  const rows = 2 * maxTokens - 1;
  const table = new Float32Array(rows * c.numHeads);
  for (let r = 0; r < rows; r++) {
    const b = t5RelativeBucket(r - (maxTokens - 1), c.relativeAttentionNumBuckets, c.relativeAttentionMaxDistance);
    for (let h = 0; h < c.numHeads; h++) table[r * c.numHeads + h] = biasWeight[b * c.numHeads + h];
  }
  return table;
}

/** T5LayerNorm: RMS only (no mean, no bias), variance in float32. */
function rmsNorm(g: OnnxGraph, x: string, weight: string, eps: number): string {
  const variance = g.reduceMean(g.mul(x, x), [-1]);
  const inv = g.div(g.scalarF32(1), g.sqrt(g.add(variance, g.scalarF32(eps))));
  return g.mul(g.mul(x, inv), weight);
}

/**
 * The MusicGen text encoder (HF T5EncoderModel) as an ONNX graph with transformers.js' I/O:
 * `input_ids` int64 [B, T], `attention_mask` int64 [B, T] -> `last_hidden_state` f32 [B, T, d_model].
 */
export function buildT5EncoderGraph(c: T5Config, w: CheckedWeights, maxTokens = T5_MAX_TOKENS): OnnxGraph {
  const g = new OnnxGraph('text_encoder');
  const inner = c.numHeads * c.dKv;
  const p = 'text_encoder.encoder';
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'encoder_sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);

  const shared = g.weight('shared', 'float32', [c.vocabSize, c.dModel], w.get('text_encoder.shared.weight', [c.vocabSize, c.dModel]));
  let h = g.gather(shared, inputIds);

  // Position bias [1, H, T, T] shared by every block, plus the padding mask on the key axis.
  const biasW = w.get(`${p}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, [c.relativeAttentionNumBuckets, c.numHeads]);
  const table = g.weight('rel_bias_table', 'float32', [2 * maxTokens - 1, c.numHeads], relativeBiasTable(c, biasW, maxTokens));
  const T = g.dim(inputIds, 1);
  const positions = g.range(g.scalarI64(0), T, g.scalarI64(1));
  const rel = g.add(g.sub(g.unsqueeze(positions, [0]), g.unsqueeze(positions, [1])), g.scalarI64(maxTokens - 1));
  const bias = g.unsqueeze(g.transpose(g.gather(table, rel), [2, 0, 1]), [0]);
  const maskF = g.cast(attentionMask, 'float32');
  const keyMask = g.unsqueeze(g.mul(g.sub(g.scalarF32(1), maskF), g.scalarF32(FLOAT32_MIN)), [1, 2]);
  const positionBias = g.add(bias, keyMask);

  for (let i = 0; i < c.numLayers; i++) {
    const b = `${p}.block.${i}`;
    const ln0 = g.weight(`ln0_${i}`, 'float32', [c.dModel], w.get(`${b}.layer.0.layer_norm.weight`, [c.dModel]));
    const n = rmsNorm(g, h, ln0, c.layerNormEpsilon);
    const proj = (name: string): string =>
      g.weight(`${name}_${i}`, 'float32', [c.dModel, inner], w.linearT(`${b}.layer.0.SelfAttention.${name}.weight`, inner, c.dModel));
    const heads = (x: string): string => g.reshape(x, [0, 0, c.numHeads, c.dKv]);
    const q = g.transpose(heads(g.matMul(n, proj('q'))), [0, 2, 1, 3]);
    const kT = g.transpose(heads(g.matMul(n, proj('k'))), [0, 2, 3, 1]);
    const v = g.transpose(heads(g.matMul(n, proj('v'))), [0, 2, 1, 3]);
    // T5 does not scale scores by 1/sqrt(d_kv): it is folded into the trained weights.
    const attn = g.softmax(g.add(g.matMul(q, kT), positionBias));
    const ctx = g.reshape(g.transpose(g.matMul(attn, v), [0, 2, 1, 3]), [0, 0, inner]);
    const o = g.weight(`o_${i}`, 'float32', [inner, c.dModel], w.linearT(`${b}.layer.0.SelfAttention.o.weight`, c.dModel, inner));
    h = g.add(h, g.matMul(ctx, o));

    const ln1 = g.weight(`ln1_${i}`, 'float32', [c.dModel], w.get(`${b}.layer.1.layer_norm.weight`, [c.dModel]));
    const n1 = rmsNorm(g, h, ln1, c.layerNormEpsilon);
    const wi = g.weight(`wi_${i}`, 'float32', [c.dModel, c.dFf], w.linearT(`${b}.layer.1.DenseReluDense.wi.weight`, c.dFf, c.dModel));
    const wo = g.weight(`wo_${i}`, 'float32', [c.dFf, c.dModel], w.linearT(`${b}.layer.1.DenseReluDense.wo.weight`, c.dModel, c.dFf));
    h = g.add(h, g.matMul(g.relu(g.matMul(n1, wi)), wo));
  }
  const lnF = g.weight('final_ln', 'float32', [c.dModel], w.get(`${p}.final_layer_norm.weight`, [c.dModel]));
  g.output(rmsNorm(g, h, lnF, c.layerNormEpsilon), 'last_hidden_state', 'float32', ['batch_size', 'encoder_sequence_length', c.dModel]);
  return g;
}
