import { randomInt } from 'node:crypto';
import type * as ort from 'onnxruntime-node';
import * as ortRuntime from 'onnxruntime-node';
import { AudioCodec } from './audioCodec.js';
import type { DecoderConditioning } from './decoderState.js';
import { GenerationInputError, MissingModelFileError } from './errors.js';
import { resolveGenerationParams, type GenerationParams, type ResolvedGenerationParams } from './generationParams.js';
import { locateModelFiles, type ModelFiles } from './modelFiles.js';
import type { MusicgenModelConfig } from './modelConfig.js';
import { Rng } from './rng.js';
import {
  checkDecoderGraph,
  checkEncodecDecodeGraph,
  checkEncodecEncodeGraph,
  checkTextEncoderGraph,
  createSession,
} from './sessions.js';
import { TextTokenizer, type TokenizedBatch } from './textTokenizer.js';
import { runTokenLoop, type LoopItem } from './tokenLoop.js';
import { windowSchedule } from './windowSchedule.js';

/** AudioCraft's max_duration: the decoder's context is 30 s (1500 frames at 50 Hz). */
export const MAX_DURATION = 30;

export interface LoadOptions {
  /** Decoder precision: fp32 (default), q8, … (DESIGN.md §2 suffixes). */
  dtype?: string;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
}

/** Descriptions, or token ids already made by a T5 tokenizer (right-padded, mask 1 = token). */
export type GenerationInput = readonly string[] | TokenizedBatch;

export interface GenerateOptions {
  /** Called after every decoder step with (generated steps, total steps). */
  progress?: (generated: number, total: number) => void;
  /** Stops between decoder steps; the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Overrides of the current generation params for this call only. */
  params?: Partial<GenerationParams>;
}

export interface GenerationTimings {
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

/** Conditioning of B items: text states (or none), and chroma for melody models. */
interface Condition {
  conditioning: DecoderConditioning;
  /** True when nothing conditions the items (no text, no melody): CFG would change nothing. */
  empty: boolean;
}

/**
 * A MusicGen model folder loaded on onnxruntime-node, with AudioCraft's generation API: set the
 * params once (setGenerationParams), then generate from descriptions, token ids or nothing.
 */
export class MusicGen {
  private params: ResolvedGenerationParams;

  private constructor(
    readonly files: ModelFiles,
    private readonly textEncoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    readonly codec: AudioCodec,
    private readonly tokenizer: TextTokenizer | null,
  ) {
    this.params = resolveGenerationParams({}, { maxDuration: MAX_DURATION, frameRate: this.frameRate });
  }

  static async load(dir: string, opts: LoadOptions = {}): Promise<MusicGen> {
    const files = locateModelFiles(dir, opts.dtype);
    const session = (path: string): Promise<ort.InferenceSession> => createSession(path, { threads: opts.threads });
    const [textEncoder, decoder, encodecDecode, encodecEncode] = await Promise.all([
      session(files.textEncoder),
      session(files.decoder),
      session(files.encodecDecode),
      files.encodecEncode ? session(files.encodecEncode) : Promise.resolve(null),
    ]);
    checkTextEncoderGraph(files.textEncoder, textEncoder);
    checkDecoderGraph(files.decoder, decoder, files.config);
    checkEncodecDecodeGraph(files.encodecDecode, encodecDecode);
    if (encodecEncode && files.encodecEncode) checkEncodecEncodeGraph(files.encodecEncode, encodecEncode);
    const tokenizer = files.tokenizer ? TextTokenizer.load(files.tokenizer.json, files.tokenizer.config) : null;
    return new MusicGen(files, textEncoder, decoder, new AudioCodec(files.config, encodecDecode, encodecEncode), tokenizer);
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
    const T = tokens.inputIds[0].length;
    const toI64 = (rows: number[][]): ortRuntime.Tensor =>
      new ortRuntime.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [B, T]);
    const out = await this.textEncoder.run({ input_ids: toI64(tokens.inputIds), attention_mask: toI64(tokens.attentionMask) });
    const conditioning: DecoderConditioning = {
      rows: B,
      encoderHiddenStates: (out.last_hidden_state as ortRuntime.Tensor).data as Float32Array,
      encoderLength: T,
      encoderMask: mask,
    };
    // Text-only generation on a melody model: HF's default chroma is one frame one-hot at C.
    if (this.config.melody) conditioning.chroma = oneHotC(B, 1, this.config.melody.numChroma);
    return { conditioning, empty: false };
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

  private async generateFrom(condition: Condition, textEncoderMs: number, opts: GenerateOptions): Promise<GenerationResult> {
    const params = this.resolve(opts.params);
    const seed = params.seed ?? randomInt(0, 2 ** 31);
    const B = condition.conditioning.rows;
    const K = this.config.decoder.numCodebooks;
    const sampling = { useSampling: params.useSampling, topK: params.topK, topP: params.topP, temperature: params.temperature };
    const items: LoopItem[] = Array.from({ length: B }, (_, b) => ({ sampling, cfgCoef: params.cfgCoef, rng: Rng.derive(seed, b) }));
    const useCfg = !condition.empty && params.cfgCoef !== 1;
    const nullConditioning = useCfg ? this.nullRowsOf(condition.conditioning) : null;

    const windows = windowSchedule(params.frames, { frameRate: this.frameRate, maxDuration: MAX_DURATION, extendStride: params.extendStride });
    const totalSteps = windows.reduce((a, w) => a + w.totalFrames + this.numDelays() - 1 - w.promptFrames, 0);
    let doneSteps = 0;
    const output = new Int32Array(B * K * params.frames);
    let decoderCalls = 0;
    const t0 = performance.now();
    for (const w of windows) {
      let promptCodes: Int32Array | undefined;
      if (w.promptFrames > 0) {
        // The last promptFrames frames generated so far, per row.
        promptCodes = new Int32Array(B * K * w.promptFrames);
        for (let r = 0; r < B * K; r++) {
          const from = r * params.frames + w.startFrame;
          promptCodes.set(output.subarray(from, from + w.promptFrames), r * w.promptFrames);
        }
      }
      const result = await runTokenLoop({
        config: this.config,
        decoder: this.decoder,
        conditioning: condition.conditioning,
        nullConditioning,
        twoStepCfg: params.twoStepCfg,
        items,
        totalFrames: w.totalFrames,
        promptCodes,
        promptFrames: w.promptFrames,
        signal: opts.signal,
        progress: (done) => opts.progress?.(doneSteps + done, totalSteps),
      });
      doneSteps += w.totalFrames + this.numDelays() - 1 - w.promptFrames;
      decoderCalls += result.decoderCalls;
      for (let r = 0; r < B * K; r++) {
        const src = result.codes.subarray(r * w.totalFrames + w.promptFrames, (r + 1) * w.totalFrames);
        output.set(src, r * params.frames + w.startFrame + w.promptFrames);
      }
    }
    const decoderMs = performance.now() - t0;
    const t1 = performance.now();
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
      timings: { textEncoderMs, decoderMs, codecMs, decoderCalls },
    };
  }

  private numDelays(): number {
    return this.config.decoder.numCodebooks / this.config.decoder.audioChannels;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.textEncoder.release(), this.decoder.release()]);
  }
}

/** [B, frames, bins] chroma with every frame one-hot at bin 0 (C): HF's null / default melody. */
export function oneHotC(batch: number, frames: number, bins: number): { data: Float32Array; frames: number } {
  const data = new Float32Array(batch * frames * bins);
  for (let i = 0; i < batch * frames; i++) data[i * bins] = 1;
  return { data, frames };
}
