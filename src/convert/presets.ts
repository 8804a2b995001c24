import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MusicgenError } from '../errors.js';
import { bundledMusicgenSmallDir } from './packageRoot.js';

export class UnknownPresetError extends MusicgenError {}

export const PRESET_NAMES = ['tiny', 'stereo-tiny', 'melody-tiny', 'small', 'medium', 'large'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

type Json = Record<string, unknown>;

interface DecoderSize {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  ffn_dim: number;
}

/** Decoder sizes of the published checkpoints (AudioCraft's small / medium / large). */
const REAL_SIZES: Record<'small' | 'medium' | 'large', DecoderSize> = {
  small: { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, ffn_dim: 4096 },
  medium: { hidden_size: 1536, num_hidden_layers: 48, num_attention_heads: 24, ffn_dim: 6144 },
  large: { hidden_size: 2048, num_hidden_layers: 48, num_attention_heads: 32, ffn_dim: 8192 },
};

const TINY_DECODER: DecoderSize = { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, ffn_dim: 128 };
/** Tiny T5 with the real vocabulary, so the real tokenizer works with random tiny models. */
const TINY_T5 = { d_model: 32, d_kv: 8, num_heads: 4, d_ff: 64, num_layers: 2 };
/** Tiny EnCodec: same strides (640 samples per frame at 32 kHz) and 2048-entry codebooks. */
const TINY_ENCODEC = { num_filters: 4, hidden_size: 16, codebook_dim: 16 };

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/**
 * config.json of a preset: the real musicgen-small config with the sizes changed. Presets carry
 * `musicgen_ts.random_weights = true` so nobody mistakes their output for music.
 */
export function presetConfig(name: string, seed: number): Json {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UnknownPresetError(`unknown preset "${name}"; choose one of ${PRESET_NAMES.join(', ')}`);
  }
  const preset = name as PresetName;
  const base = JSON.parse(readFileSync(join(bundledMusicgenSmallDir(), 'config.json'), 'utf8')) as Json;
  const cfg = clone(base);
  const decoder = cfg.decoder as Json;
  const text = cfg.text_encoder as Json;
  const audio = cfg.audio_encoder as Json;
  const tiny = preset.endsWith('tiny');
  if (tiny) {
    Object.assign(decoder, TINY_DECODER);
    Object.assign(text, TINY_T5);
    Object.assign(audio, TINY_ENCODEC);
  } else {
    Object.assign(decoder, REAL_SIZES[preset as 'small' | 'medium' | 'large']);
  }
  if (preset === 'stereo-tiny') {
    decoder.num_codebooks = 8;
    decoder.audio_channels = 2;
  }
  if (preset === 'melody-tiny') {
    cfg.model_type = 'musicgen_melody';
    cfg.architectures = ['MusicgenMelodyForConditionalGeneration'];
    decoder.model_type = 'musicgen_melody_decoder';
    cfg.num_chroma = 12;
    cfg.chroma_length = 235;
  }
  cfg._name_or_path = `musicgen-ts/random-${preset}`;
  cfg.musicgen_ts = {
    random_weights: true,
    preset,
    seed,
    note: 'Random weights made by `musicgen synth`: for tests, speed and memory measurements; the output is noise, not music.',
  };
  return cfg;
}

/** generation_config.json as the hub ships it, with the pad/BOS id of the config. */
export function defaultGenerationConfig(padTokenId: number): Json {
  return {
    _from_model_config: true,
    bos_token_id: padTokenId,
    decoder_start_token_id: padTokenId,
    do_sample: true,
    guidance_scale: 3.0,
    max_length: 1500,
    pad_token_id: padTokenId,
  };
}

/** preprocessor_config.json of MusicgenMelodyFeatureExtractor (defaults of transformers 4.45). */
export function melodyPreprocessorConfig(): Json {
  return {
    chunk_length: 30,
    feature_extractor_type: 'MusicgenMelodyFeatureExtractor',
    feature_size: 12,
    hop_length: 4096,
    n_fft: 16384,
    n_samples: 960000,
    padding_side: 'right',
    padding_value: 0.0,
    return_attention_mask: false,
    sampling_rate: 32000,
    stem_indices: [3, 2],
  };
}
