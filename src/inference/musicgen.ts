import { randomInt } from 'node:crypto';
import type * as ort from 'onnxruntime-node';
import { AudioCodec } from './audioCodec.js';
import { interruptible } from '../kernelInterrupt.js';
import type { DecoderConditioning } from './decoderState.js';
import { AbortError, GenerationInputError } from './errors.js';
import { MissingModelFileError } from '../model/errors.js';
import { resolveGenerationParams, type GenerationParams, type ResolvedGenerationParams } from './generationParams.js';
import { locateModelFiles, type ModelFiles } from '../model/modelFiles.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { Rng } from './rng.js';
import { checkDecoderGraph, checkEncodecEncodeGraph, createCheckedSession, loadEncodecDecode } from './sessions.js';
import { TextEncoderSession } from './textEncoderSession.js';
import { TextTokenizer, type TokenizedBatch } from './textTokenizer.js';
import { runTokenLoop, type LoopItem } from './tokenLoop.js';
import { melodySegmentForWindow, windowSchedule, type GenerationWindow } from './windowSchedule.js';
import { convertAudio } from '../audio/convertAudio.js';
import { CHROMA_SAMPLE_RATE, extractChroma, fitChromaLength } from '../audio/chroma.js';

/** AudioCraft's max_duration: the decoder's context is 30 s (1500 frames at 50 Hz). */
export const MAX_DURATION = 30;

export interface LoadOptions {
  /** Decoder precision: fp32 (default), q8, … (suffixes: docs/MODEL_FORMAT.md). */
  dtype?: string;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
  /**
   * Which decoder graph to run when the folder has both (docs/MODEL_FORMAT.md): `auto` (default)
   * takes our kvbuffer decoder when present, else the transformers.js `merged` one.
   */
  decoderLayout?: string;
  /**
   * Frames x (items x channels) per run of EnCodec's upsampling half, which bounds the memory of
   * turning codes into audio (default 50: ~0.03 GiB at musicgen's EnCodec). Folders with the
   * one transformers.js encodec_decode graph decode in one run.
   */
  codecChunkFrameRows?: number;
  /**
   * Open the T5 text encoder for each call and release it once the descriptions are encoded
   * (default false: it stays open); the decoder then opens at the first call, after the text is
   * encoded. The encoder's weights (T5-base: ~0.34 GiB) are never held beside the decoder and its
   * KV cache, and the decoder reuses their memory: musicgen-small peaks at 1.04-1.35x (fp32) /
   * 1.20-1.32x (q8) its files instead of 1.42x / 1.33-1.64x (BENCHMARKS.md session 7). Every call
   * reopens the encoder (T5-base: 0.5-1.2 s on 2 cores), and a broken decoder graph is reported by
   * the first call instead of by load(). `musicgen generate`, one call per run, sets it.
   */
  releaseTextEncoder?: boolean;
}

/**
 * A full GC where node exposes one (the `musicgen` command and the notebook kernel run node with
 * --expose-gc). Between the token loop and EnCodec the KV cache (0.19 GiB for 10 s at
 * musicgen-small, 3x that for 30 s) is garbage that V8 has not collected yet; EnCodec's
 * activations would otherwise stack on top of it (q8: peak RSS 1.34 -> 1.26 GiB).
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Descriptions (a list as in AudioCraft, or one string as in transformers.js: one item), or token
 * ids already made by a T5 tokenizer (right-padded, mask 1 = token).
 */
export type GenerationInput = string | readonly string[] | TokenizedBatch;

export interface GenerateOptions {
  /** Called after every decoder step with (generated steps, total steps). */
  progress?: (generated: number, total: number) => void;
  /** Stops between decoder steps; the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Overrides of the current generation params for this call only. */
  params?: Partial<GenerationParams>;
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

/** Per-item settings of generateBatch: every sampling parameter, the CFG coefficient and the seed. */
export interface ItemSettings {
  useSampling: boolean;
  topK: number;
  topP: number;
  temperature: number;
  cfgCoef: number;
  seed: number;
}

/** One item of generateBatch: a description (or token ids, or null for none) and its settings. */
export interface BatchItem {
  text: string | { inputIds: number[]; attentionMask: number[] } | null;
  params?: Partial<Omit<ItemSettings, 'seed'>> & { seed?: number };
  /** Melody models: this item's melody (channels at `melodySampleRate`), or null. */
  melody?: readonly Float32Array[] | null;
}

export interface BatchResult extends GenerationResult {
  /** The settings each item ran with (seeds drawn where none was given). */
  items: ItemSettings[];
}

/** Chroma [B, chromaLength, 12] for a window; `multiWindow` when the output spans several. */
type WindowChroma = (window: GenerationWindow, multiWindow: boolean) => Float32Array;

/** What some generate calls add to the windows loop: melody chroma, an audio prompt, per-item settings. */
interface WindowExtras {
  chromaForWindow?: WindowChroma;
  prompt?: { codes: Int32Array; frames: number };
  perItem?: ItemSettings[];
}

/** Conditioning of B items: text states (or none), and chroma for melody models. */
interface Condition {
  conditioning: DecoderConditioning;
  /** True when nothing conditions the items (no text, no melody): CFG would change nothing. */
  empty: boolean;
  /** Time spent opening the text encoder for this condition (released text encoder). */
  openMs?: number;
}

/**
 * A MusicGen model folder loaded on onnxruntime-node, with AudioCraft's generation API: set the
 * params once (setGenerationParams), then generate from descriptions, token ids or nothing.
 */
export class MusicGen {
  private params: ResolvedGenerationParams;
  private decoderOpening: Promise<ort.InferenceSession> | null;

  private constructor(
    readonly files: ModelFiles,
    private readonly textEncoder: TextEncoderSession,
    decoder: ort.InferenceSession | null,
    private readonly openDecoder: () => Promise<ort.InferenceSession>,
    readonly codec: AudioCodec,
    private readonly tokenizer: TextTokenizer | null,
  ) {
    this.decoderOpening = decoder ? Promise.resolve(decoder) : null;
    this.params = resolveGenerationParams({}, { maxDuration: MAX_DURATION, frameRate: this.frameRate });
  }

  static async load(dir: string, opts: LoadOptions = {}): Promise<MusicGen> {
    // Before any session opens: a bad option should not cost a model load.
    if (opts.codecChunkFrameRows !== undefined) AudioCodec.checkChunkFrameRows(opts.codecChunkFrameRows);
    const files = locateModelFiles(dir, opts.dtype, opts.decoderLayout);
    const threads = { threads: opts.threads };
    const openDecoder = (): Promise<ort.InferenceSession> =>
      createCheckedSession(files.decoder, (file, s) => checkDecoderGraph(file, s, files.config, files.decoderLayout), threads);
    // With the text encoder released, the decoder opens at the first call, once the text is
    // encoded: the two then never sit in memory together before the KV cache grows.
    const release = opts.releaseTextEncoder ?? false;
    const [textEncoder, decoder, encodecDecode] = await Promise.all([
      TextEncoderSession.load(files.textEncoder, { threads: opts.threads, release }),
      release ? null : openDecoder(),
      loadEncodecDecode(files.encodecDecode, opts.threads),
    ]);
    const encodePath = files.encodecEncode;
    const loadEncoder = encodePath ? (): Promise<ort.InferenceSession> => createCheckedSession(encodePath, checkEncodecEncodeGraph, threads) : null;
    const tokenizer = files.tokenizer ? TextTokenizer.load(files.tokenizer.json, files.tokenizer.config) : null;
    return new MusicGen(files, textEncoder, decoder, openDecoder, new AudioCodec(files.config, encodecDecode, loadEncoder, opts.codecChunkFrameRows), tokenizer);
  }

  get config(): MusicgenModelConfig {
    return this.files.config;
  }

  get sampleRate(): number {
    return this.config.audioEncoder.samplingRate;
  }

  get frameRate(): number {
    return this.config.audioEncoder.frameRate;
  }

  get audioChannels(): number {
    return this.config.decoder.audioChannels;
  }

  /** The current params (AudioCraft's defaults until changed). */
  get generationParams(): ResolvedGenerationParams {
    return { ...this.params };
  }

  /** Sets generation params for later calls; unknown names and out-of-range values throw. */
  setGenerationParams(partial: Partial<GenerationParams>): void {
    this.params = this.resolve(partial);
  }

  private resolve(partial: Partial<GenerationParams> | undefined): ResolvedGenerationParams {
    // Windows make any duration possible; the 30 s limit applies per window only.
    return resolveGenerationParams(partial ?? {}, {
      base: this.params,
      maxDuration: MAX_DURATION,
      frameRate: this.frameRate,
    });
  }

  /** Generates one sample per description (or per row of token ids). */
  async generate(input: GenerationInput, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const tokens = this.tokenize(input);
    const t0 = performance.now();
    const condition = await this.encodeText(tokens);
    return this.generateFrom(condition, performance.now() - t0, opts);
  }

  /** `n` samples with no conditioning at all (HF's get_unconditional_inputs; no CFG). */
  async generateUnconditional(n: number, opts: GenerateOptions = {}): Promise<GenerationResult> {
    if (!Number.isSafeInteger(n) || n < 1) throw new GenerationInputError(`generateUnconditional needs a positive number of samples (got ${n})`);
    return this.generateFrom(this.nullCondition(n), 0, opts);
  }

  /** Tokens -> audio[item][channel] (codes[item][codebook], all items the same length). */
  async decodeCodes(codes: Int32Array[][]): Promise<Float32Array[][]> {
    if (codes.length === 0) return [];
    const K = this.config.decoder.numCodebooks;
    const frames = codes[0][0].length;
    const flat = new Int32Array(codes.length * K * frames);
    codes.forEach((item, b) => {
      if (item.length !== K) throw new GenerationInputError(`codes[${b}] has ${item.length} codebooks; this model uses ${K}`);
      item.forEach((row, k) => {
        if (row.length !== frames) throw new GenerationInputError(`codes[${b}][${k}] has ${row.length} frames, expected ${frames}`);
        flat.set(row, (b * K + k) * frames);
      });
    });
    return this.codec.decode(flat, codes.length, frames);
  }

  private tokenize(input: GenerationInput): TokenizedBatch {
    if (typeof input === 'string') input = [input];
    if (Array.isArray(input)) {
      if (input.length === 0) throw new GenerationInputError('generate() needs at least one description (got an empty list)');
      if (!this.tokenizer) {
        throw new MissingModelFileError(
          `${this.files.dir} has no tokenizer.json / tokenizer_config.json; pass token ids ({inputIds, attentionMask}) or add the T5 tokenizer files`,
        );
      }
      return this.tokenizer.encodeBatch(input as string[]);
    }
    const t = input as TokenizedBatch;
    if (!t || !Array.isArray(t.inputIds) || !Array.isArray(t.attentionMask) || t.inputIds.length === 0) {
      throw new GenerationInputError('generate() needs a non-empty list of descriptions or {inputIds, attentionMask}');
    }
    const width = t.inputIds[0].length;
    t.inputIds.forEach((row, i) => {
      if (row.length !== width || t.attentionMask[i]?.length !== width) {
        throw new GenerationInputError(`inputIds/attentionMask row ${i} must have the same length as row 0 (${width})`);
      }
    });
    if (t.attentionMask.length !== t.inputIds.length) throw new GenerationInputError('inputIds and attentionMask must have the same number of rows');
    const vocab = this.config.textEncoder.vocabSize;
    const bad = t.inputIds.flat().find((v) => !Number.isInteger(v) || v < 0 || v >= vocab);
    if (bad !== undefined) throw new GenerationInputError(`token id ${bad} is outside the text encoder's vocabulary [0, ${vocab})`);
    return t;
  }

  /** Null conditioning for B items: one zero text state with mask 0; melody: one-hot C chroma. */
  private nullCondition(batch: number): Condition {
    const conditioning: DecoderConditioning = {
      rows: batch,
      encoderHiddenStates: new Float32Array(batch * this.config.textEncoder.dModel),
      encoderLength: 1,
      encoderMask: new Array<number>(batch).fill(0),
    };
    if (this.config.melody) conditioning.chroma = oneHotC(batch, 1, this.config.melody.numChroma);
    return { conditioning, empty: true };
  }

  private async encodeText(tokens: TokenizedBatch): Promise<Condition> {
    const B = tokens.inputIds.length;
    const mask = tokens.attentionMask.flat();
    if (mask.every((m) => m === 0)) return this.nullCondition(B);
    const { hiddenStates, openMs } = await this.textEncoder.encode(tokens);
    const conditioning: DecoderConditioning = {
      rows: B,
      encoderHiddenStates: hiddenStates,
      encoderLength: tokens.inputIds[0].length,
      encoderMask: mask,
    };
    // Text-only generation on a melody model: HF's default chroma is one frame one-hot at C.
    if (this.config.melody) conditioning.chroma = oneHotC(B, 1, this.config.melody.numChroma);
    return { conditioning, empty: false, openMs };
  }

  /** The null (CFG) rows of a condition: zero text, mask 0, one-hot C chroma of the same length. */
  private nullRowsOf(c: DecoderConditioning): DecoderConditioning {
    const out: DecoderConditioning = {
      rows: c.rows,
      encoderHiddenStates: new Float32Array(c.encoderHiddenStates.length),
      encoderLength: c.encoderLength,
      encoderMask: new Array<number>(c.encoderMask.length).fill(0),
    };
    if (c.chroma && this.config.melody) out.chroma = oneHotC(c.rows, c.chroma.frames, this.config.melody.numChroma);
    return out;
  }

  /**
   * Generates items that differ in sampling settings, CFG coefficient and seed in one decoder
   * batch (sweeps): sampling and guidance are applied per row, so all settings share each
   * forward. Each item's codes equal generating it alone with the same settings and seed.
   * Length, extendStride and twoStepCfg come from the call's params.
   */
  async generateBatch(batch: readonly BatchItem[], opts: GenerateOptions & { melodySampleRate?: number } = {}): Promise<BatchResult> {
    if (!Array.isArray(batch) || batch.length === 0) throw new GenerationInputError('generateBatch needs at least one item');
    const perItem: ItemSettings[] = batch.map((item, i) => {
      const p = this.resolve({ ...opts.params, ...(item.params ?? {}) });
      const seed = item.params?.seed ?? opts.params?.seed ?? randomInt(0, 2 ** 31);
      if (!Number.isSafeInteger(seed)) throw new GenerationInputError(`item ${i}: seed must be a safe integer`);
      return { useSampling: p.useSampling, topK: p.topK, topP: p.topP, temperature: p.temperature, cfgCoef: p.cfgCoef, seed };
    });
    const t0 = performance.now();
    let condition: Condition;
    if (batch.every((b) => b.text === null)) condition = this.nullCondition(batch.length);
    else {
      const texts = batch.map((b) => (typeof b.text === 'string' ? b.text : ''));
      const tok = this.tokenizer ? this.tokenizer.encodeBatch(texts) : null;
      const rows = batch.map((b, i) => {
        if (b.text === null) return { ids: [0], mask: [0] };
        if (typeof b.text === 'string') {
          if (!tok) throw new MissingModelFileError(`${this.files.dir} has no tokenizer; give items token ids instead of text`);
          return { ids: tok.inputIds[i], mask: tok.attentionMask[i] };
        }
        return { ids: b.text.inputIds, mask: b.text.attentionMask };
      });
      const width = Math.max(...rows.map((r) => r.ids.length));
      const pad = (a: number[]): number[] => [...a, ...new Array<number>(width - a.length).fill(0)];
      condition = await this.encodeText(this.tokenize({ inputIds: rows.map((r) => pad(r.ids)), attentionMask: rows.map((r) => pad(r.mask)) }));
    }
    let chromaForWindow: WindowChroma | undefined;
    if (this.config.melody) {
      const sr = opts.melodySampleRate ?? this.sampleRate;
      const mono = batch.map((b, i) => (b.melody ? this.melodyAt32kMono(b.melody, sr, i) : null));
      if (mono.some((m) => m !== null)) {
        condition = { ...condition, empty: false };
        chromaForWindow = (w, multiWindow) => this.chromaBatch(mono, w, multiWindow);
      }
    } else if (batch.some((b) => b.melody)) {
      throw new GenerationInputError(`${this.files.dir} is not a melody model; drop the melodies or use a musicgen_melody model`);
    }
    const result = await this.generateFrom(condition, performance.now() - t0, opts, { chromaForWindow, perItem });
    return { ...result, items: perItem };
  }

  /**
   * Generates with a melody per item (musicgen-melody models): chroma of each melody (32 kHz mono,
   * one-hot, truncated at 30 s) is prepended with the text. `null` melodies use HF's default
   * (one-hot C). `input` may be null for melody-only conditioning. Over 30 s each window reads the
   * melody at its own offset, looping (AudioCraft).
   */
  async generateWithChroma(
    input: GenerationInput | null,
    melodies: ReadonlyArray<readonly Float32Array[] | null>,
    sampleRate: number,
    opts: GenerateOptions = {},
  ): Promise<GenerationResult> {
    const melody = this.config.melody;
    if (!melody) {
      throw new GenerationInputError(
        `${this.files.dir} is a "${this.config.modelType}" model; melody conditioning needs a musicgen_melody model (e.g. facebook/musicgen-melody)`,
      );
    }
    if (!Array.isArray(melodies) || melodies.length === 0) throw new GenerationInputError('generateWithChroma needs one melody (or null) per item');
    const t0 = performance.now();
    const condition = input === null ? this.nullCondition(melodies.length) : await this.encodeText(this.tokenize(input));
    if (condition.conditioning.rows !== melodies.length) {
      throw new GenerationInputError(`got ${condition.conditioning.rows} descriptions but ${melodies.length} melodies; give one melody (or null) per item`);
    }
    const mono = melodies.map((m, i) => (m === null ? null : this.melodyAt32kMono(m, sampleRate, i)));
    const textEncoderMs = performance.now() - t0;
    const hasMelody = mono.some((m) => m !== null);
    return this.generateFrom({ ...condition, empty: condition.empty && !hasMelody }, textEncoderMs, opts, {
      chromaForWindow: (w, multiWindow) => this.chromaBatch(mono, w, multiWindow),
    });
  }

  /**
   * Like generateWithChroma, from chroma features already computed (frames x 12 per item, e.g.
   * HF's MusicgenMelodyFeatureExtractor output); `null` = HF's default one-hot C. The same chroma
   * conditions every window of a long-form run.
   */
  async generateWithChromaFeatures(
    input: GenerationInput | null,
    chromas: ReadonlyArray<readonly Float32Array[] | null>,
    opts: GenerateOptions = {},
  ): Promise<GenerationResult> {
    const melody = this.config.melody;
    if (!melody) throw new GenerationInputError(`${this.files.dir} is a "${this.config.modelType}" model; chroma conditioning needs a musicgen_melody model`);
    const t0 = performance.now();
    const condition = input === null ? this.nullCondition(chromas.length) : await this.encodeText(this.tokenize(input));
    if (condition.conditioning.rows !== chromas.length) {
      throw new GenerationInputError(`got ${condition.conditioning.rows} descriptions but ${chromas.length} chromagrams; give one (or null) per item`);
    }
    const data = new Float32Array(chromas.length * melody.chromaLength * melody.numChroma);
    chromas.forEach((c, b) => {
      const frames = c === null || c.length === 0 ? [oneHotC(1, 1, melody.numChroma).data] : c;
      frames.forEach((f, t) => {
        if (f.length !== melody.numChroma) throw new GenerationInputError(`chroma ${b} frame ${t} has ${f.length} bins, expected ${melody.numChroma}`);
      });
      fitChromaLength(frames as Float32Array[], melody.chromaLength).forEach((f, t) => data.set(f, (b * melody.chromaLength + t) * melody.numChroma));
    });
    const hasMelody = chromas.some((c) => c !== null);
    return this.generateFrom({ ...condition, empty: condition.empty && !hasMelody }, performance.now() - t0, opts, { chromaForWindow: () => data });
  }

  /**
   * Continues each item's audio prompt (one prompt per item, all the same length), optionally
   * conditioned on text (and, on melody models, a melody through `melodies`). The prompt is
   * encoded with EnCodec on its own, forced into the delay pattern, and returned as the start of
   * the output: `duration` / `frames` count the prompt, as in AudioCraft.
   */
  async generateContinuation(
    prompts: ReadonlyArray<readonly Float32Array[]>,
    promptSampleRate: number,
    input: GenerationInput | null = null,
    opts: GenerateOptions & { melodies?: ReadonlyArray<readonly Float32Array[] | null>; melodySampleRate?: number } = {},
  ): Promise<GenerationResult> {
    if (!Array.isArray(prompts) || prompts.length === 0) throw new GenerationInputError('generateContinuation needs one audio prompt per item');
    if (!this.files.encodecEncode) {
      throw new MissingModelFileError(`${this.files.dir}: continuation needs onnx/encodec_encode.onnx; convert the checkpoint with musicgen convert to get it`);
    }
    const K = this.config.decoder.numCodebooks;
    const encoded: Int32Array[] = [];
    let frames = -1;
    for (const [i, p] of prompts.entries()) {
      if (!Array.isArray(p) || p.length === 0 || p[0].length === 0) throw new GenerationInputError(`prompt ${i} is empty`);
      const audio = convertAudio(p, promptSampleRate, this.sampleRate, this.audioChannels);
      const { codes, frames: f } = await this.codec.encode(audio);
      if (frames >= 0 && f !== frames) {
        throw new GenerationInputError(`prompt ${i} encodes to ${f} frames but prompt 0 to ${frames}; give prompts of the same length`);
      }
      frames = f;
      encoded.push(codes);
    }
    const promptCodes = new Int32Array(prompts.length * K * frames);
    encoded.forEach((c, b) => promptCodes.set(c, b * K * frames));
    const t0 = performance.now();
    let condition = input === null ? this.nullCondition(prompts.length) : await this.encodeText(this.tokenize(input));
    if (condition.conditioning.rows !== prompts.length) {
      throw new GenerationInputError(`got ${condition.conditioning.rows} descriptions but ${prompts.length} prompts; give one prompt per item`);
    }
    let chromaForWindow: WindowChroma | undefined;
    if (opts.melodies) {
      if (!this.config.melody) throw new GenerationInputError(`${this.files.dir} is not a melody model; drop melodies or use a musicgen_melody model`);
      if (opts.melodies.length !== prompts.length) throw new GenerationInputError('give one melody (or null) per prompt');
      const sr = opts.melodySampleRate ?? promptSampleRate;
      const mono = opts.melodies.map((m, i) => (m === null ? null : this.melodyAt32kMono(m, sr, i)));
      if (mono.some((m) => m !== null)) condition = { ...condition, empty: false };
      chromaForWindow = (w, multiWindow) => this.chromaBatch(mono, w, multiWindow);
    }
    return this.generateFrom(condition, performance.now() - t0, opts, { chromaForWindow, prompt: { codes: promptCodes, frames } });
  }

  private melodyAt32kMono(channels: readonly Float32Array[], sampleRate: number, index: number): Float32Array {
    if (!Array.isArray(channels) || channels.length === 0 || channels[0].length === 0) {
      throw new GenerationInputError(`melody ${index} is empty; pass channels (Float32Array[]) or null`);
    }
    return convertAudio(channels, sampleRate, CHROMA_SAMPLE_RATE, 1)[0];
  }

  /** [B, chromaLength, 12] chroma for one window (one-hot C for items without melody). */
  private chromaBatch(mono: ReadonlyArray<Float32Array | null>, w: GenerationWindow, multiWindow: boolean): Float32Array {
    const length = this.config.melody!.chromaLength;
    const bins = this.config.melody!.numChroma;
    const out = new Float32Array(mono.length * length * bins);
    mono.forEach((m, b) => {
      let frames: Float32Array[];
      if (m === null) frames = [oneHotC(1, 1, bins).data];
      else {
        // One window: the melody as given, truncated at 30 s (HF's feature extractor). Long form:
        // the window's own 30 s, read from its start time and looping (AudioCraft).
        const segment = multiWindow
          ? melodySegmentForWindow(m, w, CHROMA_SAMPLE_RATE, MAX_DURATION)
          : m.subarray(0, Math.min(m.length, MAX_DURATION * CHROMA_SAMPLE_RATE));
        frames = extractChroma(segment, CHROMA_SAMPLE_RATE, { argmax: true });
      }
      const fitted = fitChromaLength(frames, length);
      fitted.forEach((f, t) => out.set(f, (b * length + t) * bins));
    });
    return out;
  }

  /** runWindows under the notebook kernel's interrupt too (src/kernelInterrupt.ts); the AbortError says where it stopped. */
  private async generateFrom(condition: Condition, textEncoderMs: number, opts: GenerateOptions, extras: WindowExtras = {}): Promise<GenerationResult> {
    const interrupt = interruptible(opts.signal);
    let at = { step: 0, total: 0 };
    const stopped = (): AbortError =>
      new AbortError(at.total > 0 ? `generation interrupted at step ${at.step} of ${at.total}` : 'generation interrupted before its first decoder step');
    const progress = (step: number, total: number): void => {
      at = { step, total };
      opts.progress?.(step, total);
    };
    try {
      const result = await this.runWindows(condition, textEncoderMs, { ...opts, signal: interrupt.signal, progress }, extras);
      // Aborted during EnCodec (after the last step): the interrupted cell must still stop here.
      if (interrupt.signal?.aborted) throw stopped();
      return result;
    } catch (err) {
      if (err instanceof AbortError && interrupt.signal?.aborted) throw stopped();
      throw err;
    } finally {
      interrupt.close();
    }
  }

  private async runWindows(condition: Condition, textEncoderMs: number, opts: GenerateOptions, extras: WindowExtras = {}): Promise<GenerationResult> {
    const params = this.resolve(opts.params);
    const seed = params.seed ?? randomInt(0, 2 ** 31);
    const open0 = this.decoderOpening ? null : performance.now();
    const decoder = await this.decoderSession();
    const openMs = (condition.openMs ?? 0) + (open0 === null ? 0 : performance.now() - open0);
    const B = condition.conditioning.rows;
    const K = this.config.decoder.numCodebooks;
    const sampling = { useSampling: params.useSampling, topK: params.topK, topP: params.topP, temperature: params.temperature };
    // Batch items from one call share the seed (item b draws from stream (seed, b)); generateBatch
    // items carry their own seed and draw from (seed, 0), exactly as when generated alone.
    const items: LoopItem[] = extras.perItem
      ? extras.perItem.map((it) => ({
          sampling: { useSampling: it.useSampling, topK: it.topK, topP: it.topP, temperature: it.temperature },
          cfgCoef: it.cfgCoef,
          rng: Rng.derive(it.seed, 0),
        }))
      : Array.from({ length: B }, (_, b) => ({ sampling, cfgCoef: params.cfgCoef, rng: Rng.derive(seed, b) }));
    const useCfg = !condition.empty && items.some((it) => it.cfgCoef !== 1);
    const promptFrames = extras.prompt?.frames ?? 0;
    if (promptFrames > params.frames) {
      throw new GenerationInputError(
        `the audio prompt is ${promptFrames} frames (${(promptFrames / this.frameRate).toFixed(2)} s) but only ${params.frames} frames were asked for; the duration counts the prompt, so ask for more`,
      );
    }
    const windows = windowSchedule(params.frames, {
      frameRate: this.frameRate,
      maxDuration: MAX_DURATION,
      extendStride: params.extendStride,
      promptFrames,
    });
    const stepsOf = (w: GenerationWindow): number => w.totalFrames + this.numDelays() - 1 - w.promptFrames;
    const totalSteps = windows.reduce((a, w) => a + stepsOf(w), 0);
    let doneSteps = 0;
    const output = new Int32Array(B * K * params.frames);
    if (extras.prompt) {
      for (let r = 0; r < B * K; r++) output.set(extras.prompt.codes.subarray(r * promptFrames, (r + 1) * promptFrames), r * params.frames);
    }
    let decoderCalls = 0;
    const t0 = performance.now();
    for (const w of windows) {
      let promptCodes: Int32Array | undefined;
      if (w.promptFrames > 0) {
        // The window's leading frames: the audio prompt (window 0) or the end of the last window.
        promptCodes = new Int32Array(B * K * w.promptFrames);
        for (let r = 0; r < B * K; r++) {
          const from = r * params.frames + w.startFrame;
          promptCodes.set(output.subarray(from, from + w.promptFrames), r * w.promptFrames);
        }
      }
      let conditioning = condition.conditioning;
      if (extras.chromaForWindow) {
        conditioning = { ...conditioning, chroma: { data: extras.chromaForWindow(w, windows.length > 1), frames: this.config.melody!.chromaLength } };
      }
      const result = await runTokenLoop({
        config: this.config,
        decoder,
        conditioning,
        nullConditioning: useCfg ? this.nullRowsOf(conditioning) : null,
        twoStepCfg: params.twoStepCfg,
        items,
        totalFrames: w.totalFrames,
        promptCodes,
        promptFrames: w.promptFrames,
        signal: opts.signal,
        progress: (done) => opts.progress?.(doneSteps + done, totalSteps),
      });
      doneSteps += stepsOf(w);
      decoderCalls += result.decoderCalls;
      for (let r = 0; r < B * K; r++) {
        const src = result.codes.subarray(r * w.totalFrames + w.promptFrames, (r + 1) * w.totalFrames);
        output.set(src, r * params.frames + w.startFrame + w.promptFrames);
      }
    }
    const decoderMs = performance.now() - t0;
    const t1 = performance.now();
    collectGarbage();
    const audio = await this.codec.decode(output, B, params.frames);
    const codecMs = performance.now() - t1;
    const codes = Array.from({ length: B }, (_, b) =>
      Array.from({ length: K }, (_, k) => output.slice((b * K + k) * params.frames, (b * K + k + 1) * params.frames)),
    );
    return {
      codes,
      audio,
      sampleRate: this.sampleRate,
      frames: params.frames,
      params: { ...params, seed },
      timings: { openMs, textEncoderMs: textEncoderMs - (condition.openMs ?? 0), decoderMs, codecMs, decoderCalls },
    };
  }

  private numDelays(): number {
    return this.config.decoder.numCodebooks / this.config.decoder.audioChannels;
  }

  /** The decoder session, opened on first use when the text encoder is released (LoadOptions). */
  private decoderSession(): Promise<ort.InferenceSession> {
    // A failed open is not kept: the next call tries again (and reports the error again).
    this.decoderOpening ??= this.openDecoder().catch((e: unknown) => {
      this.decoderOpening = null;
      throw e;
    });
    return this.decoderOpening;
  }

  /** Frees every onnxruntime session (the model cannot be used afterwards). */
  async dispose(): Promise<void> {
    const decoder = this.decoderOpening?.catch(() => null);
    this.decoderOpening = null;
    await Promise.all([this.textEncoder.release(), decoder?.then((d) => d?.release()), this.codec.release()]);
  }
}

/** [B, frames, bins] chroma with every frame one-hot at bin 0 (C): HF's null / default melody. */
export function oneHotC(batch: number, frames: number, bins: number): { data: Float32Array; frames: number } {
  const data = new Float32Array(batch * frames * bins);
  for (let i = 0; i < batch * frames; i++) data[i * bins] = 1;
  return { data, frames };
}
