import type * as ort from 'onnxruntime-node';
import { AudioCodec } from './audioCodec.js';
import { GenerationInputError } from './errors.js';
import { resolveGenerationParams, type GenerationParams, type ResolvedGenerationParams } from './generationParams.js';
import { prepareGeneration, runGeneration, type PipelineModel, type PreparedGeneration } from './generationPipeline.js';
import {
  batchRequest,
  type BatchItem,
  type BatchResult,
  type GenerateOptions,
  type GenerationInput,
  type GenerationRequest,
  type GenerationResult,
  type RequestResult,
} from './generationRequest.js';
import { loadEncodecDecode } from './sessions.js';
import { loadFolderTokenizer, openDecoderSession, openEncodecEncodeSession } from './folderSessions.js';
import { TextEncoderSession } from './textEncoderSession.js';
import { TextTokenizer } from './textTokenizer.js';
import { MAX_DURATION } from '../model/contextLength.js';
import { locateModelFiles, type ModelFiles } from '../model/modelFiles.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

export type {
  BatchItem,
  BatchResult,
  GenerateOptions,
  GenerationInput,
  GenerationRequest,
  GenerationResult,
  GenerationTimings,
  ItemSettings,
  RequestResult,
} from './generationRequest.js';
export { batchRequest } from './generationRequest.js';
export { oneHotC } from './melodyConditioning.js';
export { MAX_DURATION } from '../model/contextLength.js';

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
   * encoded. The encoder's weights (T5-base: ~0.41 GiB) are never held beside the decoder and its
   * KV cache: musicgen-small peaks at 0.97x (fp32) / 0.93x (q8) its files instead of 1.12x / 1.26x
   * (BENCHMARKS.md, decoder table). Every call reopens the encoder (T5-base: ~0.1 s on 2 cores, as
   * it opens unpacked: textEncoderSession.ts), and a broken decoder graph is reported by
   * the first call instead of by load(). `musicgen generate`, one call per run, sets it.
   */
  releaseTextEncoder?: boolean;
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
    const openDecoder = (): Promise<ort.InferenceSession> => openDecoderSession(files, opts.threads);
    // With the text encoder released, the decoder opens at the first call, once the text is
    // encoded: the two then never sit in memory together before the KV cache grows.
    const release = opts.releaseTextEncoder ?? false;
    const [textEncoder, decoder, encodecDecode] = await Promise.all([
      TextEncoderSession.load(files.textEncoder, { threads: opts.threads, release }),
      release ? null : openDecoder(),
      loadEncodecDecode(files.encodecDecode, opts.threads),
    ]);
    const encodePath = files.encodecEncode;
    const loadEncoder = encodePath ? (): Promise<ort.InferenceSession> => openEncodecEncodeSession(encodePath, opts.threads) : null;
    return new MusicGen(files, textEncoder, decoder, openDecoder, new AudioCodec(files.config, encodecDecode, loadEncoder, opts.codecChunkFrameRows), loadFolderTokenizer(files));
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
    // Windows make any duration possible; the 30 s limit applies per window only.
    this.params = resolveGenerationParams(partial, { base: this.params, maxDuration: MAX_DURATION, frameRate: this.frameRate });
  }

  /**
   * The one generation path (AudioCraft's genmodel.py: _prepare_tokens_and_attributes ->
   * _generate_tokens -> generate_audio): text, melody, audio prompt, params and per-item settings
   * in one request. Every generate* method below is a thin wrapper over it.
   */
  generateRequest(request: GenerationRequest): Promise<RequestResult> {
    return runGeneration(this.pipeline(), request);
  }

  /**
   * What a request conditions the model on, without running the decoder: params, text states,
   * the melody's chroma per window (`melody.chromaForWindow`), the prompt's codes, the windows.
   */
  prepare(request: GenerationRequest): Promise<PreparedGeneration> {
    return prepareGeneration(this.pipeline(), request);
  }

  /** AudioCraft's generate: one sample per description (or per row of token ids). */
  generate(input: GenerationInput, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return this.generateRequest({ ...opts, text: input });
  }

  /** AudioCraft's generate_unconditional: `n` samples with no conditioning at all (no CFG). */
  generateUnconditional(n: number, opts: GenerateOptions = {}): Promise<GenerationResult> {
    if (!Number.isSafeInteger(n) || n < 1) return Promise.reject(new GenerationInputError(`generateUnconditional needs a positive number of samples (got ${n})`));
    return this.generateRequest({ ...opts, samples: n });
  }

  /**
   * Items that differ in sampling settings, CFG coefficient and seed in one decoder batch
   * (sweeps): sampling and guidance are applied per row, so all settings share each forward.
   * Each item's codes equal generating it alone with the same settings and seed. Length,
   * extendStride and twoStepCfg come from the call's params.
   */
  async generateBatch(batch: readonly BatchItem[], opts: GenerateOptions & { melodySampleRate?: number } = {}): Promise<BatchResult> {
    if (!Array.isArray(batch) || batch.length === 0) throw new GenerationInputError('generateBatch needs at least one item');
    const result = await this.generateRequest(batchRequest(batch, { ...opts, melodySampleRate: opts.melodySampleRate ?? this.sampleRate }));
    return { ...result, items: result.items! };
  }

  /**
   * AudioCraft's generate_with_chroma: a melody per item (musicgen-melody models), its chroma
   * (32 kHz mono, one-hot, truncated at 30 s) prepended to the text. `null` melodies use HF's
   * default (one-hot C); `input` may be null for melody-only conditioning. Over 30 s each window
   * reads the melody at its own offset, looping (AudioCraft).
   */
  generateWithChroma(
    input: GenerationInput | null,
    melodies: ReadonlyArray<readonly Float32Array[] | null>,
    sampleRate: number,
    opts: GenerateOptions = {},
  ): Promise<GenerationResult> {
    return this.generateRequest({ ...opts, text: input, melody: { audio: melodies, sampleRate } });
  }

  /**
   * Like generateWithChroma, from chroma features already computed (frames x 12 per item, e.g.
   * HF's MusicgenMelodyFeatureExtractor output); `null` = HF's default one-hot C. The same chroma
   * conditions every window of a long-form run.
   */
  generateWithChromaFeatures(input: GenerationInput | null, chromas: ReadonlyArray<readonly Float32Array[] | null>, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return this.generateRequest({ ...opts, text: input, melody: { chroma: chromas } });
  }

  /**
   * AudioCraft's generate_continuation: continues each item's audio prompt (one per item, all the
   * same length), optionally conditioned on text (and, on melody models, `melodies`). The output
   * starts with the prompt: `duration` / `frames` count it, as in AudioCraft.
   */
  generateContinuation(
    prompts: ReadonlyArray<readonly Float32Array[]>,
    promptSampleRate: number,
    input: GenerationInput | null = null,
    opts: GenerateOptions & { melodies?: ReadonlyArray<readonly Float32Array[] | null>; melodySampleRate?: number } = {},
  ): Promise<GenerationResult> {
    const { melodies, melodySampleRate, ...rest } = opts;
    const melody = melodies ? { audio: melodies, sampleRate: melodySampleRate ?? promptSampleRate } : undefined;
    return this.generateRequest({ ...rest, text: input, melody, prompt: { audio: prompts, sampleRate: promptSampleRate } });
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

  /** The model as the pipeline sees it. */
  private pipeline(): PipelineModel {
    return {
      dir: this.files.dir,
      files: this.files,
      config: this.config,
      tokenizer: this.tokenizer,
      textEncoder: this.textEncoder,
      codec: this.codec,
      params: this.params,
      decoder: async () => {
        const open0 = this.decoderOpening ? null : performance.now();
        const session = await this.decoderSession();
        return { session, openMs: open0 === null ? 0 : performance.now() - open0 };
      },
    };
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
