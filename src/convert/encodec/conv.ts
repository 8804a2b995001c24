import { attr, type OnnxGraph } from '../graph.js';
import { ConversionError } from '../errors.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../inference/modelConfig.js';
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
  const { prefix, outChannels, kernelSize } = spec;
  const w = weights.weightNorm(`${prefix}.conv`, [outChannels, x.channels, kernelSize]);
  const b = weights.get(`${prefix}.conv.bias`, [outChannels]);
  const effectiveKernel = (kernelSize - 1) * dilation + 1;
  const padding = conv1dPadding(effectiveKernel, stride, config.useCausalConv, config.padMode);
  const padded = padConv1dInput(g, x.value, x.channels, padding, x.minLength);
  const y = g.node(
    'Conv',
    [padded, g.weight(`${prefix}.conv.weight`, 'float32', [outChannels, x.channels, kernelSize], w), g.weight(`${prefix}.conv.bias`, 'float32', [outChannels], b)],
    { kernel_shape: attr.ints([kernelSize]), strides: attr.ints([stride]), dilations: attr.ints([dilation]) },
  );
  return { value: y, channels: outChannels, minLength: Math.ceil(x.minLength / stride) };
}

export interface ConvTranspose1dSpec {
  prefix: string;
  outChannels: number;
  kernelSize: number;
  stride: number;
}

/**
 * HF EncodecConvTranspose1d: a weight-normalised ConvTranspose1d (v is [in, out, k], so g and the
 * norm are per input channel), then the fixed padding_total = kernel - stride trimmed (non-causal:
 * half each side, extra on the left; causal: ceil(total * trim_right_ratio) on the right). The trim
 * is ConvTranspose's own `pads`, so no slice is needed. Output length is T * stride.
 */
export function encodecConvTranspose1d(
  g: OnnxGraph,
  weights: CheckedWeights,
  config: EncodecConfig,
  x: Signal,
  spec: ConvTranspose1dSpec,
): Signal {
  const { prefix, outChannels, kernelSize, stride } = spec;
  if (!config.useCausalConv && config.trimRightRatio !== 1) {
    throw new ConversionError(`audio_encoder.trim_right_ratio ${config.trimRightRatio} != 1.0 only makes sense for causal convolutions`);
  }
  const w = weights.weightNorm(`${prefix}.conv`, [x.channels, outChannels, kernelSize]);
  const b = weights.get(`${prefix}.conv.bias`, [outChannels]);
  const total = kernelSize - stride;
  const right = config.useCausalConv ? Math.ceil(total * config.trimRightRatio) : Math.floor(total / 2);
  const left = total - right;
  const y = g.node(
    'ConvTranspose',
    [x.value, g.weight(`${prefix}.conv.weight`, 'float32', [x.channels, outChannels, kernelSize], w), g.weight(`${prefix}.conv.bias`, 'float32', [outChannels], b)],
    { kernel_shape: attr.ints([kernelSize]), strides: attr.ints([stride]), pads: attr.ints([left, right]) },
  );
  return { value: y, channels: outChannels, minLength: x.minLength * stride };
}
