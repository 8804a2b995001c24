import { attr, type OnnxGraph } from '../graph.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';
import { conv1dWeights, encodecConv1d, polyphaseConv, type Conv1dSpec, type ConvTranspose1dSpec } from './conv.js';
import { conv1dPadding } from './padding.js';
import type { Signal } from './signal.js';

/**
 * A SEANet decoder signal carried with margins: `value` is [B, C, marginLeft + T + marginRight]
 * and only the middle T samples are the signal; the margins hold finite values of no meaning.
 *
 * At sample rate the decoder's tensors are tens of MB each, and every Slice (the transposed
 * convs' trim) and reflect Pad (before each k > 1 conv) was a full copy into a fresh tensor.
 * On a cold session run onnxruntime's arena page-faults every fresh tensor in, which on the bench
 * VM cost more than the convolutions. With margins the trims are deferred to one Slice of the
 * 1-channel output, and convs zero-pad through their `pads` attribute; the few output samples
 * that would have seen the reflect padding are recomputed from small windows and written back
 * with ScatterElements (in place in onnxruntime).
 */
export interface Buffered extends Signal {
  marginLeft: number;
  marginRight: number;
}

export function withoutMargins(x: Signal): Buffered {
  return { ...x, marginLeft: 0, marginRight: 0 };
}

/**
 * Writes `updates` [B, C, n] into x [B, C, L] at time positions `positions` (negative ones count
 * from the end), returning the updated tensor.
 */
function scatterTime(g: OnnxGraph, x: string, updates: string, positions: number[]): string {
  const idx = g.constI64(positions, [1, 1, positions.length], 'time_idx');
  const indices = g.node('Expand', [idx, g.shape(updates)]);
  return g.node('ScatterElements', [x, indices, updates], { axis: attr.int(2) });
}

/**
 * HF EncodecConv1d (stride 1) on a buffered signal. The conv zero-pads (pads attribute), so the
 * output keeps the input's alignment and margins; the `left` first and `right` last signal samples,
 * which HF computes from padded (reflect / replicate / zero) input, are recomputed from windows of
 * the first / last effective-kernel samples padded like HF, then scattered into place.
 */
export function bufferedConv1d(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Buffered, spec: Conv1dSpec): Buffered {
  if ((spec.stride ?? 1) !== 1) throw new Error(`bufferedConv1d ${spec.prefix}: stride 1 only`);
  const dilation = spec.dilation ?? 1;
  const { outChannels, kernelSize } = spec;
  const effectiveKernel = (kernelSize - 1) * dilation + 1;
  if (x.minLength < effectiveKernel) {
    // The boundary windows need K signal samples: for signals that may be shorter, trim and take
    // the plain path (its padding handles any length).
    return withoutMargins(encodecConv1d(g, weights, config, trimMargins(g, x), spec));
  }
  const p = conv1dPadding(effectiveKernel, 1, config.useCausalConv, config.padMode);
  const [w, b] = conv1dWeights(g, weights, x.channels, spec);
  const convAttrs = { kernel_shape: attr.ints([kernelSize]), dilations: attr.ints([dilation]) };
  let y = g.node('Conv', [x.value, w, b], { ...convAttrs, pads: attr.ints([p.left, p.right]) });
  const fixes: string[] = [];
  const positions: number[] = [];
  const { marginLeft: ml, marginRight: mr } = x;
  if (p.left > 0) {
    // Window x[0 : K], padded left as HF pads -> p.left + 1 outputs, the first p.left wanted.
    const win = g.slice(x.value, g.constI64([ml]), g.constI64([ml + effectiveKernel]), [2]);
    const padded = g.node('Pad', [win, g.constI64([0, 0, p.left, 0, 0, 0], [6], 'pads')], { mode: attr.string(p.mode) });
    const out = g.node('Conv', [padded, w, b], convAttrs);
    fixes.push(g.slice(out, g.constI64([0]), g.constI64([p.left]), [2]));
    for (let i = 0; i < p.left; i++) positions.push(ml + i);
  }
  if (p.right > 0) {
    // Window x[T - K : T], padded right -> p.right + 1 outputs, the last p.right wanted.
    const end = mr > 0 ? -mr : Number.MAX_SAFE_INTEGER;
    const win = g.slice(x.value, g.constI64([-(mr + effectiveKernel)]), g.constI64([end]), [2]);
    const padded = g.node('Pad', [win, g.constI64([0, 0, 0, 0, 0, p.right], [6], 'pads')], { mode: attr.string(p.mode) });
    const out = g.node('Conv', [padded, w, b], convAttrs);
    fixes.push(g.slice(out, g.constI64([1]), g.constI64([Number.MAX_SAFE_INTEGER]), [2]));
    for (let i = 0; i < p.right; i++) positions.push(-(mr + p.right) + i);
  }
  if (fixes.length) y = scatterTime(g, y, fixes.length === 1 ? fixes[0] : g.concat(fixes, 2), positions);
  return { value: y, channels: outChannels, minLength: x.minLength, marginLeft: ml, marginRight: mr };
}

/**
 * HF EncodecConvTranspose1d on a buffered signal, as the polyphase Conv of encodecConvTranspose1d
 * without the final Slice: the HF trim becomes margin. The taps - 1 samples either side of the
 * signal must read as zeros: those inside the margins are zeroed (ScatterElements), the rest come
 * from the conv's pads.
 */
export function bufferedConvTranspose1d(
  g: OnnxGraph,
  weights: CheckedWeights,
  config: EncodecConfig,
  x: Buffered,
  spec: ConvTranspose1dSpec,
): Buffered {
  const { outChannels, stride } = spec;
  const { weight, bias, taps, left } = polyphaseConv(g, weights, config, x.channels, spec);
  const { marginLeft: ml, marginRight: mr } = x;
  const zl = Math.min(ml, taps - 1);
  const zr = Math.min(mr, taps - 1);
  let input = x.value;
  if (zl + zr > 0) {
    const positions = [...Array.from({ length: zl }, (_, i) => ml - zl + i), ...Array.from({ length: zr }, (_, i) => -mr + i)];
    const zerosShape = g.concat([g.shape(x.value, 0, 2), g.constI64([positions.length])], 0);
    const zeros = g.node('Expand', [g.constF32([0], [1, 1, 1], 'zero'), zerosShape]);
    input = scatterTime(g, input, zeros, positions);
  }
  const padL = taps - 1 - zl;
  const padR = taps - 1 - zr;
  // Output frame m' is polyphase frame m = m' - (ml - (taps - 1) + padL) of the unbuffered conv.
  const phases = g.node('Conv', [input, weight, bias], { kernel_shape: attr.ints([taps]), pads: attr.ints([padL, padR]) });
  const perPhase = g.reshape(phases, [0, outChannels, stride, -1]);
  const interleaved = g.reshape(g.transpose(perPhase, [0, 1, 3, 2]), [0, outChannels, -1]);
  return {
    value: interleaved,
    channels: outChannels,
    minLength: x.minLength * stride,
    marginLeft: (ml - (taps - 1) + padL) * stride + left,
    marginRight: (mr + padR) * stride - left,
  };
}

/** a + b; when their margins differ (after a conv took the short-signal fallback) both are trimmed. */
export function addBuffered(g: OnnxGraph, a: Buffered, b: Buffered): Buffered {
  if (a.marginLeft === b.marginLeft && a.marginRight === b.marginRight) return { ...a, value: g.add(a.value, b.value) };
  return withoutMargins({ ...a, value: g.add(trimMargins(g, a).value, trimMargins(g, b).value) });
}

/** The signal without its margins (one Slice; cheap once the decoder is down to audio channels). */
export function trimMargins(g: OnnxGraph, x: Buffered): Signal {
  if (x.marginLeft === 0 && x.marginRight === 0) return x;
  const end = x.marginRight > 0 ? -x.marginRight : Number.MAX_SAFE_INTEGER;
  return { value: g.slice(x.value, g.constI64([x.marginLeft]), g.constI64([end]), [2]), channels: x.channels, minLength: x.minLength };
}
