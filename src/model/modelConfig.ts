import { MusicgenError } from '../errors.js';

/** A config.json that cannot describe a MusicGen model we can build or run. */
export class ModelConfigError extends MusicgenError {}

export type ModelType = 'musicgen' | 'musicgen_melody';

export interface T5Config {
  vocabSize: number;
  dModel: number;
  dKv: number;
  numHeads: number;
  dFf: number;
  numLayers: number;
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  layerNormEpsilon: number;
}

export interface EncodecConfig {
  samplingRate: number;
  audioChannels: number;
  codebookSize: number;
  codebookDim: number;
  hiddenSize: number;
  numFilters: number;
  upsamplingRatios: number[];
  numLstmLayers: number;
  numResidualLayers: number;
  compress: number;
  kernelSize: number;
  lastKernelSize: number;
  residualKernelSize: number;
  dilationGrowthRate: number;
  targetBandwidths: number[];
  useCausalConv: boolean;
  padMode: string;
  trimRightRatio: number;
  useConvShortcut: boolean;
  normalize: boolean;
  /** Samples per frame: the product of the upsampling ratios (640 at 32 kHz). */
  hopLength: number;
  /** Frames per second (50 for the 32 kHz model). */
  frameRate: number;
  /** Quantizers kept by HF's `config.num_quantizers` (4 for 2.2 kbps at 50 Hz). */
  numQuantizers: number;
}

export interface DecoderConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  ffnDim: number;
  numCodebooks: number;
  audioChannels: number;
  maxPositionEmbeddings: number;
  activation: 'gelu';
  scaleEmbedding: boolean;
  padTokenId: number;
  bosTokenId: number;
  layerNormEps: number;
}

export interface MelodyConfig {
  numChroma: number;
  chromaLength: number;
}

/** The parts of a Hugging Face MusicgenConfig / MusicgenMelodyConfig that musicgen-ts uses. */
export interface MusicgenModelConfig {
  modelType: ModelType;
  textEncoder: T5Config;
  audioEncoder: EncodecConfig;
  decoder: DecoderConfig;
  melody: MelodyConfig | null;
  /** The original JSON, written back unchanged into converted model folders. */
  raw: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function section(raw: Json, key: string, where: string): Json {
  const v = raw[key];
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new ModelConfigError(`${where}: missing the "${key}" section; is this a MusicGen config.json?`);
  }
  return v as Json;
}

function num(o: Json, key: string, where: string, fallback?: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelConfigError(`${where}: field "${key}" must be a number (got ${JSON.stringify(o[key])})`);
  }
  return v;
}

function int(o: Json, key: string, where: string, fallback?: number): number {
  const v = num(o, key, where, fallback);
  if (!Number.isInteger(v) || v < 0) throw new ModelConfigError(`${where}: field "${key}" must be a non-negative integer (got ${v})`);
  return v;
}

function bool(o: Json, key: string, fallback: boolean): boolean {
  const v = o[key];
  return typeof v === 'boolean' ? v : fallback;
}

function str(o: Json, key: string, fallback: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : fallback;
}

function numArray(o: Json, key: string, where: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number')) {
    throw new ModelConfigError(`${where}: field "${key}" must be a non-empty array of numbers`);
  }
  return v as number[];
}

function parseT5(o: Json, where: string): T5Config {
  const ff = str(o, 'feed_forward_proj', 'relu');
  if (ff !== 'relu') {
    throw new ModelConfigError(`${where}: text_encoder.feed_forward_proj "${ff}" is not supported (MusicGen's t5-base uses "relu")`);
  }
  const c: T5Config = {
    vocabSize: int(o, 'vocab_size', where),
    dModel: int(o, 'd_model', where),
    dKv: int(o, 'd_kv', where),
    numHeads: int(o, 'num_heads', where),
    dFf: int(o, 'd_ff', where),
    numLayers: int(o, 'num_layers', where),
    relativeAttentionNumBuckets: int(o, 'relative_attention_num_buckets', where, 32),
    relativeAttentionMaxDistance: int(o, 'relative_attention_max_distance', where, 128),
    layerNormEpsilon: num(o, 'layer_norm_epsilon', where, 1e-6),
  };
  return c;
}

function parseEncodec(o: Json, where: string): EncodecConfig {
  const upsamplingRatios = numArray(o, 'upsampling_ratios', where);
  const samplingRate = int(o, 'sampling_rate', where);
  const hopLength = upsamplingRatios.reduce((a, b) => a * b, 1);
  const frameRate = Math.ceil(samplingRate / hopLength);
  const targetBandwidths = numArray(o, 'target_bandwidths', where);
  const normType = str(o, 'norm_type', 'weight_norm');
  if (normType !== 'weight_norm') {
    throw new ModelConfigError(`${where}: audio_encoder.norm_type "${normType}" is not supported (EnCodec 32 kHz uses "weight_norm")`);
  }
  return {
    samplingRate,
    audioChannels: int(o, 'audio_channels', where, 1),
    codebookSize: int(o, 'codebook_size', where),
    codebookDim: int(o, 'codebook_dim', where, int(o, 'hidden_size', where)),
    hiddenSize: int(o, 'hidden_size', where),
    numFilters: int(o, 'num_filters', where),
    upsamplingRatios,
    numLstmLayers: int(o, 'num_lstm_layers', where, 2),
    numResidualLayers: int(o, 'num_residual_layers', where, 1),
    compress: int(o, 'compress', where, 2),
    kernelSize: int(o, 'kernel_size', where, 7),
    lastKernelSize: int(o, 'last_kernel_size', where, 7),
    residualKernelSize: int(o, 'residual_kernel_size', where, 3),
    dilationGrowthRate: int(o, 'dilation_growth_rate', where, 2),
    targetBandwidths,
    useCausalConv: bool(o, 'use_causal_conv', false),
    padMode: str(o, 'pad_mode', 'reflect'),
    trimRightRatio: num(o, 'trim_right_ratio', where, 1),
    useConvShortcut: bool(o, 'use_conv_shortcut', false),
    normalize: bool(o, 'normalize', false),
    hopLength,
    frameRate,
    // HF: int(1000 * target_bandwidths[-1] // (frame_rate * 10))
    numQuantizers: Math.floor((1000 * targetBandwidths[targetBandwidths.length - 1]) / (frameRate * 10)),
  };
}

function parseDecoder(o: Json, where: string): DecoderConfig {
  const activation = str(o, 'activation_function', 'gelu');
  if (activation !== 'gelu') {
    throw new ModelConfigError(`${where}: decoder.activation_function "${activation}" is not supported (MusicGen uses "gelu")`);
  }
  const vocabSize = int(o, 'vocab_size', where);
  const c: DecoderConfig = {
    vocabSize,
    hiddenSize: int(o, 'hidden_size', where),
    numLayers: int(o, 'num_hidden_layers', where),
    numHeads: int(o, 'num_attention_heads', where),
    ffnDim: int(o, 'ffn_dim', where),
    numCodebooks: int(o, 'num_codebooks', where),
    audioChannels: int(o, 'audio_channels', where, 1),
    maxPositionEmbeddings: int(o, 'max_position_embeddings', where, 2048),
    activation: 'gelu',
    scaleEmbedding: bool(o, 'scale_embedding', false),
    padTokenId: int(o, 'pad_token_id', where, vocabSize),
    bosTokenId: int(o, 'bos_token_id', where, vocabSize),
    layerNormEps: 1e-5,
  };
  if (c.hiddenSize % c.numHeads !== 0) {
    throw new ModelConfigError(`${where}: decoder.hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numHeads}`);
  }
  if (c.audioChannels !== 1 && c.audioChannels !== 2) {
    throw new ModelConfigError(`${where}: decoder.audio_channels must be 1 or 2 (got ${c.audioChannels})`);
  }
  if (c.numCodebooks % c.audioChannels !== 0) {
    throw new ModelConfigError(`${where}: decoder.num_codebooks ${c.numCodebooks} does not split over ${c.audioChannels} channels`);
  }
  return c;
}

/**
 * Parses a Hugging Face MusicGen config.json object. `where` names the file in error messages.
 */
export function parseModelConfig(raw: unknown, where = 'config.json'): MusicgenModelConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ModelConfigError(`${where}: expected a JSON object`);
  }
  const o = raw as Json;
  const modelType = o.model_type;
  if (modelType !== 'musicgen' && modelType !== 'musicgen_melody') {
    throw new ModelConfigError(
      `${where}: unknown model_type ${JSON.stringify(modelType)}; expected "musicgen" or "musicgen_melody"`,
    );
  }
  const textEncoder = parseT5(section(o, 'text_encoder', where), where);
  const audioEncoder = parseEncodec(section(o, 'audio_encoder', where), where);
  const decoder = parseDecoder(section(o, 'decoder', where), where);
  const melody: MelodyConfig | null =
    modelType === 'musicgen_melody'
      ? { numChroma: int(o, 'num_chroma', where, 12), chromaLength: int(o, 'chroma_length', where, 235) }
      : null;
  if (audioEncoder.audioChannels !== 1) {
    throw new ModelConfigError(`${where}: audio_encoder.audio_channels must be 1 (stereo MusicGen decodes each channel with the mono EnCodec)`);
  }
  if (decoder.numCodebooks / decoder.audioChannels > audioEncoder.numQuantizers) {
    throw new ModelConfigError(
      `${where}: decoder uses ${decoder.numCodebooks / decoder.audioChannels} codebooks per channel but EnCodec has ${audioEncoder.numQuantizers} quantizers`,
    );
  }
  return { modelType, textEncoder, audioEncoder, decoder, melody, raw: o };
}

/** Codebooks per audio channel (4 for mono and stereo MusicGen). */
export function codebooksPerChannel(c: MusicgenModelConfig): number {
  return c.decoder.numCodebooks / c.decoder.audioChannels;
}
