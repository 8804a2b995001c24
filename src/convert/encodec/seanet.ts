import type { OnnxGraph } from '../graph.js';
import type { CheckedWeights } from '../weights.js';
import type { EncodecConfig } from '../../model/modelConfig.js';
import { encodecConv1d } from './conv.js';
import { encodecLstm } from './lstm.js';
import { addBuffered, bufferedConv1d, bufferedConvTranspose1d, trimMargins, withoutMargins, type Buffered } from './margins.js';
import type { Signal } from './signal.js';

function elu(g: OnnxGraph, x: Signal): Signal {
  return { ...x, value: g.elu(x.value) };
}

/**
 * HF EncodecResnetBlock at `prefix`: ELU, conv(k = residual_kernel_size, dilation) to dim /
 * compress, ELU, conv(k = 1) back to dim, plus the shortcut (identity, or a k = 1 conv when
 * use_conv_shortcut). The block's ModuleList holds the ELUs too, so the convs are `block.1` and
 * `block.3`.
 */
function encodecResnetBlock(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, prefix: string, x: Signal, dilation: number): Signal {
  const hidden = Math.floor(x.channels / config.compress);
  let h = encodecConv1d(g, weights, config, elu(g, x), {
    prefix: `${prefix}.block.1`,
    outChannels: hidden,
    kernelSize: config.residualKernelSize,
    dilation,
  });
  h = encodecConv1d(g, weights, config, elu(g, h), { prefix: `${prefix}.block.3`, outChannels: x.channels, kernelSize: 1 });
  const shortcut = config.useConvShortcut
    ? encodecConv1d(g, weights, config, x, { prefix: `${prefix}.shortcut`, outChannels: x.channels, kernelSize: 1 })
    : x;
  return { value: g.add(shortcut.value, h.value), channels: x.channels, minLength: x.minLength };
}

/**
 * Numbers the entries of an HF SEANet ModuleList as they are appended (ELUs take an index too,
 * which is why the state-dict keys skip numbers).
 */
class LayerCounter {
  private next = 0;
  constructor(private readonly base: string) {}
  take(): string {
    return `${this.base}.layers.${this.next++}`;
  }
  skip(): void {
    this.next++;
  }
}

/**
 * HF EncodecEncoder: conv(1 -> F), then per ratio of reversed(upsampling_ratios): residual blocks,
 * ELU, strided conv (k = 2 * ratio) doubling the channels; then LSTM, ELU, conv to hidden_size.
 * x is the waveform [B, audio_channels, samples]; the result is [B, hidden_size, frames].
 */
export function seanetEncoder(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Signal): Signal {
  const layers = new LayerCounter('audio_encoder.encoder');
  let h = encodecConv1d(g, weights, config, x, { prefix: layers.take(), outChannels: config.numFilters, kernelSize: config.kernelSize });
  for (const ratio of [...config.upsamplingRatios].reverse()) {
    for (let j = 0; j < config.numResidualLayers; j++) {
      h = encodecResnetBlock(g, weights, config, layers.take(), h, config.dilationGrowthRate ** j);
    }
    layers.skip(); // ELU
    h = encodecConv1d(g, weights, config, elu(g, h), {
      prefix: layers.take(),
      outChannels: h.channels * 2,
      kernelSize: ratio * 2,
      stride: ratio,
    });
  }
  h = encodecLstm(g, weights, layers.take(), config.numLstmLayers, h);
  layers.skip(); // ELU
  return encodecConv1d(g, weights, config, elu(g, h), { prefix: layers.take(), outChannels: config.hiddenSize, kernelSize: config.lastKernelSize });
}

/** encodecResnetBlock on a buffered signal (see margins.ts). */
function bufferedResnetBlock(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, prefix: string, x: Buffered, dilation: number): Buffered {
  const hidden = Math.floor(x.channels / config.compress);
  const elu = (s: Buffered): Buffered => ({ ...s, value: g.elu(s.value) });
  let h = bufferedConv1d(g, weights, config, elu(x), {
    prefix: `${prefix}.block.1`,
    outChannels: hidden,
    kernelSize: config.residualKernelSize,
    dilation,
  });
  const shortcut = config.useConvShortcut
    ? bufferedConv1d(g, weights, config, x, { prefix: `${prefix}.shortcut`, outChannels: x.channels, kernelSize: 1 })
    : x;
  h = bufferedConv1d(g, weights, config, elu(h), { prefix: `${prefix}.block.3`, outChannels: x.channels, kernelSize: 1 });
  // A plain Add (a com.microsoft FusedConv summing in place measured no faster cold at B = 1 and
  // slower on the second run, and the graph stays standard ONNX).
  return addBuffered(g, shortcut, h);
}

/** Entries of the HF EncodecDecoder ModuleList that run at the frame rate: the first conv and the LSTM. */
const DECODER_FRAME_RATE_LAYERS = 2;

/** Channels of the decoder between its LSTM and its first transposed conv. */
export function decoderTopChannels(config: EncodecConfig): number {
  return 2 ** config.upsamplingRatios.length * config.numFilters;
}

/**
 * HF EncodecDecoder up to its LSTM: conv(hidden_size -> 2^n * F), LSTM. Everything here runs at
 * the frame rate, so it is small; the LSTM makes it sequential over the whole clip.
 */
export function seanetDecoderFrames(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Signal): Signal {
  const layers = new LayerCounter('audio_encoder.decoder');
  const h0 = encodecConv1d(g, weights, config, x, { prefix: layers.take(), outChannels: decoderTopChannels(config), kernelSize: config.kernelSize });
  return encodecLstm(g, weights, layers.take(), config.numLstmLayers, h0);
}

/**
 * HF EncodecDecoder after its LSTM: per ratio, ELU, transposed conv (k = 2 * ratio, stride ratio)
 * halving the channels, residual blocks; then ELU and a conv to audio_channels. x is the LSTM
 * output [B, 2^n * F, frames]; the result is the waveform [B, audio_channels, frames * hop_length].
 * Only convolutions: each output sample depends on a few frames around it
 * (upsampleContextFrames), which is what lets the caller run it in chunks. From the first
 * transposed conv on, the signal carries margins (margins.ts), trimmed once at the end.
 */
export function seanetDecoderUpsample(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Signal): Signal {
  const layers = new LayerCounter('audio_encoder.decoder');
  for (let i = 0; i < DECODER_FRAME_RATE_LAYERS; i++) layers.skip();
  let h = withoutMargins(x);
  const elu = (s: Buffered): Buffered => ({ ...s, value: g.elu(s.value) });
  for (const ratio of config.upsamplingRatios) {
    layers.skip(); // ELU
    h = bufferedConvTranspose1d(g, weights, config, elu(h), {
      prefix: layers.take(),
      outChannels: Math.floor(h.channels / 2),
      kernelSize: ratio * 2,
      stride: ratio,
    });
    for (let j = 0; j < config.numResidualLayers; j++) {
      h = bufferedResnetBlock(g, weights, config, layers.take(), h, config.dilationGrowthRate ** j);
    }
  }
  layers.skip(); // ELU
  const out = bufferedConv1d(g, weights, config, elu(h), {
    prefix: layers.take(),
    outChannels: config.audioChannels,
    kernelSize: config.lastKernelSize,
  });
  return trimMargins(g, out);
}

/** HF EncodecDecoder: seanetDecoderFrames then seanetDecoderUpsample. */
export function seanetDecoder(g: OnnxGraph, weights: CheckedWeights, config: EncodecConfig, x: Signal): Signal {
  return seanetDecoderUpsample(g, weights, config, seanetDecoderFrames(g, weights, config, x));
}
