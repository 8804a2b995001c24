import { attr, type OnnxGraph } from '../graph.js';
import { ConversionError } from '../errors.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';
import { conv1dPadding, padConv1dInput } from './padding.js';
import type { Signal } from './signal.js';

export interface Conv1dSpec {
  /** State-dict prefix of the EncodecConv1d module, e.g. `audio_encoder.decoder.layers.0`. */
  prefix: string;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  dilation?: number;
}

/**
 * HF EncodecConv1d: length-dependent padding, then a weight-normalised Conv1d (g * v / ||v||
 * folded here, at conversion). Output length is ceil(T / stride).
 */
export function encodecConv1d(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Signal, spec: Conv1dSpec): Signal {
  const stride = spec.stride ?? 1;
  const dilation = spec.dilation ?? 1;
  const { outChannels, kernelSize } = spec;
  const effectiveKernel = (kernelSize - 1) * dilation + 1;
  const padding = conv1dPadding(effectiveKernel, stride, config.useCausalConv, config.padMode);
  const padded = padConv1dInput(g, x.value, x.channels, padding, x.minLength);
  const y = g.node('Conv', [padded, ...conv1dWeights(g, weights, x.channels, spec)], {
    kernel_shape: attr.ints([kernelSize]),
    strides: attr.ints([stride]),
    dilations: attr.ints([dilation]),
  });
  return { value: y, channels: outChannels, minLength: Math.ceil(x.minLength / stride) };
}

/** The weight-normalised weight (folded) and the bias of an EncodecConv1d, as initializers. */
export function conv1dWeights(g: OnnxGraph, weights: CheckedWeights, inChannels: number, spec: Conv1dSpec): [string, string] {
  const { prefix, outChannels, kernelSize } = spec;
  const w = weights.weightNorm(`${prefix}.conv`, [outChannels, inChannels, kernelSize]);
  const b = weights.get(`${prefix}.conv.bias`, [outChannels]);
  return [
    g.weight(`${prefix}.conv.weight`, 'float32', [outChannels, inChannels, kernelSize], w),
    g.weight(`${prefix}.conv.bias`, 'float32', [outChannels], b),
  ];
}

export interface ConvTranspose1dSpec {
  prefix: string;
  outChannels: number;
  kernelSize: number;
  stride: number;
}

/**
 * Rewrites ConvTranspose1d weights (v folded, [in, out, k]) as an ordinary Conv1d producing all
 * `stride` output phases at once: output sample m * stride + p only sees kernel taps p, p + stride,
 * ... applied to inputs m, m - 1, ..., so conv tap j (input m - (taps - 1 - j)) of output channel
 * (o, p) is transposed-kernel index p + (taps - 1 - j) * stride. Result: [out * stride, in, taps].
 */
export function polyphaseWeights(w: Float32Array, inChannels: number, outChannels: number, kernelSize: number, stride: number): Float32Array {
  const taps = Math.ceil(kernelSize / stride);
  const out = new Float32Array(outChannels * stride * inChannels * taps);
  for (let o = 0; o < outChannels; o++) {
    for (let p = 0; p < stride; p++) {
      for (let i = 0; i < inChannels; i++) {
        for (let j = 0; j < taps; j++) {
          const k = p + (taps - 1 - j) * stride;
          if (k < kernelSize) out[((o * stride + p) * inChannels + i) * taps + j] = w[(i * outChannels + o) * kernelSize + k];
        }
      }
    }
  }
  return out;
}

/**
 * HF EncodecConvTranspose1d: a weight-normalised ConvTranspose1d (v is [in, out, k], so g and the
 * norm are per input channel), then the fixed padding_total = kernel - stride trimmed (non-causal:
 * half each side, the extra sample on the left; causal: ceil(total * trim_right_ratio) on the
 * right). Output length is T * stride.
 *
 * onnxruntime's CPU ConvTranspose (GEMM + col2im) was ~2.7x slower than the same maths as a
 * polyphase Conv (kernel ceil(k / stride)) followed by a phase-to-time reshuffle, and these layers
 * dominate EnCodec decoding, so the graph uses the latter.
 */
export function encodecConvTranspose1d(
  g: OnnxGraph,
  weights: CheckedWeights,
  config: EncodecConfig,
  x: Signal,
  spec: ConvTranspose1dSpec,
): Signal {
  const { outChannels, kernelSize, stride } = spec;
  const { weight, bias, taps, left, right } = polyphaseConv(g, weights, config, x.channels, spec);
  // Zero-padding taps - 1 on both sides gives every output frame m in [0, T + taps - 1).
  const phases = g.node('Conv', [x.value, weight, bias], { kernel_shape: attr.ints([taps]), pads: attr.ints([taps - 1, taps - 1]) }); // [B, out * stride, T + taps - 1]
  const perPhase = g.reshape(phases, [0, outChannels, stride, -1]);
  const interleaved = g.reshape(g.transpose(perPhase, [0, 1, 3, 2]), [0, outChannels, -1]); // [B, out, (T + taps - 1) * stride]
  // The full ConvTranspose output, (T - 1) * stride + k samples, is this minus taps * stride - k
  // samples at the end; HF then trims `left` and `right`.
  const endTrim = taps * stride - kernelSize + right;
  const y = g.slice(interleaved, g.constI64([left]), g.constI64([endTrim > 0 ? -endTrim : Number.MAX_SAFE_INTEGER]), [2]);
  return { value: y, channels: outChannels, minLength: x.minLength * stride };
}

/**
 * Initializers of a ConvTranspose1d as a polyphase Conv (see polyphaseWeights), with the HF trim
 * of its full output: `left` samples at the start, `right` at the end.
 */
export function polyphaseConv(
  g: OnnxGraph,
  weights: CheckedWeights,
  config: EncodecConfig,
  inChannels: number,
  spec: ConvTranspose1dSpec,
): { weight: string; bias: string; taps: number; left: number; right: number } {
  const { prefix, outChannels, kernelSize, stride } = spec;
  if (!config.useCausalConv && config.trimRightRatio !== 1) {
    throw new ConversionError(`audio_encoder.trim_right_ratio ${config.trimRightRatio} != 1.0 only makes sense for causal convolutions`);
  }
  const w = weights.weightNorm(`${prefix}.conv`, [inChannels, outChannels, kernelSize]);
  const b = weights.get(`${prefix}.conv.bias`, [outChannels]);
  const total = kernelSize - stride;
  const right = config.useCausalConv ? Math.ceil(total * config.trimRightRatio) : Math.floor(total / 2);
  const taps = Math.ceil(kernelSize / stride);
  const phaseBias = new Float32Array(outChannels * stride);
  for (let o = 0; o < outChannels; o++) phaseBias.fill(b[o], o * stride, (o + 1) * stride);
  return {
    weight: g.weight(`${prefix}.conv.weight_polyphase`, 'float32', [outChannels * stride, inChannels, taps], polyphaseWeights(w, inChannels, outChannels, kernelSize, stride)),
    bias: g.weight(`${prefix}.conv.bias_polyphase`, 'float32', [outChannels * stride], phaseBias),
    taps,
    left: total - right,
    right,
  };
}
