import type { DecoderLayout } from '../model/decoderLayout.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { buildDecoderGraph } from './decoderGraph.js';
import type { OnnxGraph } from './graph.js';
import { quantizeDecoderGraph, type MatrixQuantizer } from './quantize.js';
import type { CheckedWeights } from './weights.js';

/**
 * The decoder graph of one layout in fp32 or q8. q8 quantises each layer as soon as it is built,
 * so only one layer's float32 weights are alive at a time: musicgen-large's 13 GB of float32
 * would not fit in memory beside its 3.3 GB of int8. The result equals quantising the whole graph.
 */
export function buildDecoderForDtype(
  config: MusicgenModelConfig,
  weights: CheckedWeights,
  layout: DecoderLayout,
  dtype: 'fp32' | 'q8',
  onLayer?: (done: number, total: number, partial: OnnxGraph) => void,
  /** q8: how each weight is quantised (default: ours, per-column symmetric int8). */
  quantizer?: MatrixQuantizer,
): OnnxGraph {
  const g = buildDecoderGraph(
    config,
    weights,
    (done, total, partial) => {
      if (dtype === 'q8') quantizeDecoderGraph(partial, { quantizer });
      onLayer?.(done, total, partial);
    },
    layout,
  );
  return dtype === 'q8' ? quantizeDecoderGraph(g, { quantizer }) : g;
}
