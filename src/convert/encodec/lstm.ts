import { attr, type OnnxGraph } from '../graph.js';
import type { CheckedWeights } from '../weights.js';
import type { Signal } from './signal.js';

/**
 * PyTorch packs LSTM gates as (input, forget, cell, output); ONNX expects (input, output, forget,
 * cell). Reorders the four row blocks of a [4H, cols] matrix (or a [4H] bias with cols = 1).
 */
export function torchToOnnxGates(m: Float32Array, hidden: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  const block = hidden * cols;
  // ONNX block j takes PyTorch block order[j]: i <- i, o <- o, f <- f, c <- g.
  const order = [0, 3, 1, 2];
  order.forEach((src, dst) => out.set(m.subarray(src * block, (src + 1) * block), dst * block));
  return out;
}

/**
 * HF EncodecLSTM: a stacked unidirectional nn.LSTM over time with zero initial state, plus a skip
 * connection (`lstm(x)[0] + x`). x and the result are [B, C, T]; the LSTM runs on [T, B, C].
 */
export function encodecLstm(g: OnnxGraph, weights: CheckedWeights, prefix: string, numLayers: number, x: Signal): Signal {
  const h = x.channels;
  const seq = g.transpose(x.value, [2, 0, 1]);
  let y = seq;
  for (let l = 0; l < numLayers; l++) {
    const p = `${prefix}.lstm`;
    const wIh = torchToOnnxGates(weights.get(`${p}.weight_ih_l${l}`, [4 * h, h]), h, h);
    const wHh = torchToOnnxGates(weights.get(`${p}.weight_hh_l${l}`, [4 * h, h]), h, h);
    const bias = new Float32Array(8 * h);
    bias.set(torchToOnnxGates(weights.get(`${p}.bias_ih_l${l}`, [4 * h]), h, 1), 0);
    bias.set(torchToOnnxGates(weights.get(`${p}.bias_hh_l${l}`, [4 * h]), h, 1), 4 * h);
    const out = g.node('LSTM', [
      y,
      g.weight(`${p}.W_l${l}`, 'float32', [1, 4 * h, h], wIh),
      g.weight(`${p}.R_l${l}`, 'float32', [1, 4 * h, h], wHh),
      g.weight(`${p}.B_l${l}`, 'float32', [1, 8 * h], bias),
    ], { hidden_size: attr.int(h) });
    y = g.squeeze(out, [1]); // Y is [T, num_directions = 1, B, H]
  }
  const summed = g.add(y, seq);
  return { value: g.transpose(summed, [1, 2, 0]), channels: h, minLength: x.minLength };
}
