/**
 * What one generation asks for and what it returns (docs/ARCHITECTURE.md, "One generate call").
 * Every generate path of MusicGen, the CLI, the app, sweeps and the queue hand a GenerationRequest
 * to the one pipeline (generationPipeline.ts), as every generate_* of AudioCraft's genmodel.py goes
 * through _prepare_tokens_and_attributes -> _generate_tokens -> generate_audio.
 */

import type { GenerationParams, ResolvedGenerationParams } from './generationParams.js';
import type { MelodyInput } from './melodyConditioning.js';
import type { TokenizedBatch } from './textTokenizer.js';

/** Token ids of one item, made by a T5 tokenizer (mask 1 = token). */
export interface ItemTokens {
  inputIds: number[];
  attentionMask: number[];
}

/**
 * Descriptions (a list as in AudioCraft, or one string as in transformers.js: one item), or token
 * ids already made by a T5 tokenizer (right-padded, mask 1 = token).
 */
export type GenerationInput = string | readonly string[] | TokenizedBatch;

/**
 * The text of the items: descriptions or token ids (GenerationInput), or one entry per item where
 * each is a description, token ids or null (no text for that item: AudioCraft's null condition).
 */
export type RequestText = GenerationInput | ReadonlyArray<string | ItemTokens | null>;

/** Per-item settings: every sampling parameter, the CFG coefficient and the seed. */
export interface ItemSettings {
  useSampling: boolean;
  topK: number;
  topP: number;
  temperature: number;
  cfgCoef: number;
  seed: number;
}

/** Overrides of one item's settings (sweeps mix settings in one decoder batch). */
export type ItemOverrides = Partial<Omit<ItemSettings, 'seed'>> & { seed?: number };

export interface GenerateOptions {
  /** Called after every decoder step with (generated steps, total steps). */
  progress?: (generated: number, total: number) => void;
  /** Stops between decoder steps; the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Overrides of the current generation params for this call only. */
  params?: Partial<GenerationParams>;
}

/**
 * One generation. The item count B comes from whichever of text, melody, prompt, items or samples
 * is given (they must agree). Nothing but `samples` is unconditional generation (no CFG).
 */
export interface GenerationRequest extends GenerateOptions {
  /** The items' text, or null / absent for none. */
  text?: RequestText | null;
  /** Items when nothing else says how many (unconditional generation). */
  samples?: number;
  /** Melody models: one melody (audio at any rate / channels, or chroma features) or null per item. */
  melody?: MelodyInput;
  /**
   * Continuation: one audio prompt per item (all the same length), encoded with EnCodec, forced
   * into the delay pattern and returned as the start of the output (`duration` counts it).
   */
  prompt?: { audio: ReadonlyArray<readonly Float32Array[]>; sampleRate: number };
  /**
   * Per-item settings over `params` (sweeps): item b then draws from the stream (its seed, 0),
   * exactly as when generated alone; without them item b draws from (seed, b).
   */
  items?: ReadonlyArray<ItemOverrides>;
}

export interface GenerationTimings {
  /**
   * Opening sessions during the call: the text encoder when it is released after use, the decoder
   * at the first call then (LoadOptions.releaseTextEncoder); 0 otherwise. Not in the other timings.
   */
  openMs: number;
  textEncoderMs: number;
  decoderMs: number;
  codecMs: number;
  decoderCalls: number;
}

export interface GenerationResult {
  /** codes[item][codebook] = frame ids (stereo: codebooks interleaved L0 R0 L1 R1 …). */
  codes: Int32Array[][];
  /** audio[item][channel] at `sampleRate`. */
  audio: Float32Array[][];
  sampleRate: number;
  frames: number;
  /** The params used, with the seed actually drawn when none was given. */
  params: ResolvedGenerationParams & { seed: number };
  timings: GenerationTimings;
}

/** What the pipeline returns: with per-item settings, the settings each item ran with. */
export interface RequestResult extends GenerationResult {
  /** Present when the request had `items`: their settings, seeds drawn where none was given. */
  items?: ItemSettings[];
}

/** One item of generateBatch: a description (or token ids, or null for none) and its settings. */
export interface BatchItem {
  text: string | ItemTokens | null;
  params?: ItemOverrides;
  /** Melody models: this item's melody (channels at `melodySampleRate`), or null. */
  melody?: readonly Float32Array[] | null;
}

export interface BatchResult extends GenerationResult {
  /** The settings each item ran with (seeds drawn where none was given). */
  items: ItemSettings[];
}

/**
 * The request of generateBatch's items (sweeps, the queue): per-item text, settings and melody.
 * Items without a melody keep the text-only default (one C chroma frame) unless another item of
 * the batch has one.
 */
export function batchRequest(batch: readonly BatchItem[], opts: GenerateOptions & { melodySampleRate: number }): GenerationRequest {
  const { melodySampleRate, ...rest } = opts;
  const melodies = batch.map((b) => b.melody ?? null);
  return {
    ...rest,
    text: batch.map((b) => b.text),
    melody: melodies.some((m) => m !== null) ? { audio: melodies, sampleRate: melodySampleRate } : undefined,
    items: batch.map((b) => b.params ?? {}),
  };
}
