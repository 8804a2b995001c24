import type * as ort from 'onnxruntime-node';
import type { DecoderConditioning } from '../inference/decoderStateTypes.js';
import { MelodyConditioner, oneHotC } from '../inference/melodyConditioning.js';
import { contextFrames, MAX_DURATION } from '../model/contextLength.js';
import { MissingModelFileError } from '../model/errors.js';
import { locateModelFiles, type ModelFiles } from '../model/modelFiles.js';
import type { MelodyConfig, MusicgenModelConfig } from '../model/modelConfig.js';
import { loadFolderTokenizer, openDecoderSession } from '../inference/folderSessions.js';
import { numDistinctDelays } from '../model/stepCount.js';
import { TextEncoderSession } from '../inference/textEncoderSession.js';
import { TextTokenizer, type TokenizedBatch } from '../inference/textTokenizer.js';
import { EvaluationInputError } from './errors.js';
import { codebookLoss, teacherForcedSequence, teacherForcedSteps, type TeacherForcingShape } from './teacherForcing.js';
import { teacherForcedLogits } from './teacherForcedForward.js';

export interface ScorerLoadOptions {
  /** Decoder precision: fp32 (default), q8, … (docs/MODEL_FORMAT.md). */
  dtype?: string;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
  /** `auto` (default), `kvbuffer` or `merged`. */
  decoderLayout?: string;
}

/** One item to score: its codes and what conditions the decoder. */
export interface ScoreItem {
  /** codes[k] = the frame ids of codebook k (stereo: interleaved L0 R0 L1 R1 …), all the same length. */
  codes: readonly ArrayLike<number>[];
  /**
   * The text condition: a description (tokenized with the folder's T5 tokenizer), one row of
   * token ids, or null / empty for the null condition (zero states, mask 0).
   */
  text?: string | { inputIds: number[]; attentionMask: number[] } | null;
  /** Melody models: the audio whose chroma conditions the item (AudioCraft's self-wav). */
  melody?: { channels: readonly Float32Array[]; sampleRate: number } | null;
  /** Melody models: chroma frames (12 bins each) instead of audio; tiled or cut to 235 frames. */
  chroma?: readonly Float32Array[] | null;
}

/** Teacher-forced cross-entropy of one item, as AudioCraft's MusicGenSolver names it. */
export interface ItemCrossEntropy {
  frames: number;
  /** Nats per codebook (ce_q1..ce_qK), over that codebook's scored frames. */
  crossEntropy: number[];
  /** exp(crossEntropy) per codebook (ppl_q1..ppl_qK). */
  perplexity: number[];
  /** Scored frames per codebook: frames - d_k. */
  tokens: number[];
  /** Mean of the per-codebook cross-entropies (AudioCraft's `ce`). */
  ce: number;
  /** exp(ce) (AudioCraft's `ppl`). */
  ppl: number;
  /** Decoder time for this item, ms. */
  decoderMs: number;
}

/**
 * The chroma frames a melody model is conditioned on for `melody` (AudioCraft's self-wav), as the
 * scorer computes them from audio: passed as ScoreItem.chroma they score the same as the audio (a
 * queued evaluation sends them instead of the audio).
 */
export function melodyChroma(melody: { channels: readonly Float32Array[]; sampleRate: number }, config: MelodyConfig): Float32Array[] {
  const data = MelodyConditioner.of(config, { audio: [melody.channels], sampleRate: melody.sampleRate }, 'melody', EvaluationInputError).chromaForWindow(null);
  return Array.from({ length: config.chromaLength }, (_, t) => data.slice(t * config.numChroma, (t + 1) * config.numChroma));
}

/**
 * Scores codes under a MusicGen decoder by teacher forcing, without CFG: cross-entropy and
 * perplexity per codebook over the frames AudioCraft scores (docs/EVALUATION.md). Opens only what
 * scoring needs: the decoder, and the T5 encoder when a text condition first appears (never
 * EnCodec: codes come from a CodecEncoder or the token cache).
 */
export class CrossEntropyScorer {
  private textEncoder: Promise<TextEncoderSession> | null = null;

  private constructor(
    readonly files: ModelFiles,
    private readonly decoder: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer | null,
    private readonly threads: number | undefined,
  ) {}

  static async load(dir: string, opts: ScorerLoadOptions = {}): Promise<CrossEntropyScorer> {
    const files = locateModelFiles(dir, opts.dtype, opts.decoderLayout);
    const decoder = await openDecoderSession(files, opts.threads);
    return new CrossEntropyScorer(files, decoder, loadFolderTokenizer(files), opts.threads);
  }

  get config(): MusicgenModelConfig {
    return this.files.config;
  }

  get frameRate(): number {
    return this.config.audioEncoder.frameRate;
  }

  get sampleRate(): number {
    return this.config.audioEncoder.samplingRate;
  }

  /** Longest item the decoder takes in one forward: 30 s of frames. */
  get maxFrames(): number {
    return contextFrames(this.frameRate);
  }

  /** Teacher-forced cross-entropy of each item (one decoder forward per item, no CFG). */
  async crossEntropy(items: readonly ScoreItem[]): Promise<ItemCrossEntropy[]> {
    const out: ItemCrossEntropy[] = [];
    for (const [i, item] of items.entries()) out.push(await this.scoreOne(item, i));
    return out;
  }

  private shapeOf(item: ScoreItem, index: number): TeacherForcingShape {
    const K = this.config.decoder.numCodebooks;
    if (!Array.isArray(item.codes) || item.codes.length !== K) {
      throw new EvaluationInputError(`item ${index}: codes have ${item.codes?.length ?? 0} codebooks; this model uses ${K}`);
    }
    const frames = item.codes[0].length;
    item.codes.forEach((row, k) => {
      if (row.length !== frames) throw new EvaluationInputError(`item ${index}: codebook ${k} has ${row.length} frames, codebook 0 has ${frames}`);
    });
    const numDelays = numDistinctDelays(K, this.config.decoder.audioChannels);
    if (frames < numDelays) {
      throw new EvaluationInputError(`item ${index}: ${frames} frames; every codebook needs a scored frame, so at least ${numDelays} (the delay pattern's depth)`);
    }
    if (frames > this.maxFrames) {
      throw new EvaluationInputError(`item ${index}: ${frames} frames exceed the decoder's ${this.maxFrames} (${MAX_DURATION} s); cut it into segments`);
    }
    return { numCodebooks: K, audioChannels: this.config.decoder.audioChannels, frames, vocabSize: this.config.decoder.vocabSize };
  }

  private async scoreOne(item: ScoreItem, index: number): Promise<ItemCrossEntropy> {
    const shape = this.shapeOf(item, index);
    const K = shape.numCodebooks;
    const T = shape.frames;
    const codes = new Int32Array(K * T);
    item.codes.forEach((row, k) => codes.set(Array.from(row), k * T));
    const conditioning = await this.conditioningOf(item, index);
    const S = teacherForcedSteps(T);
    const t0 = performance.now();
    const logits = await teacherForcedLogits(this.decoder, this.config, conditioning, teacherForcedSequence(codes, shape), S);
    const decoderMs = performance.now() - t0;
    const loss = codebookLoss(logits, codes, shape);
    const crossEntropy = Array.from(loss.nats, (n, k) => n / loss.tokens[k]);
    const ce = crossEntropy.reduce((a, b) => a + b, 0) / K;
    return {
      frames: T,
      crossEntropy,
      perplexity: crossEntropy.map(Math.exp),
      tokens: Array.from(loss.tokens),
      ce,
      ppl: Math.exp(ce),
      decoderMs,
    };
  }

  private tokenRow(text: ScoreItem['text'], index: number): TokenizedBatch | null {
    if (text === null || text === undefined) return null;
    if (typeof text === 'string') {
      if (text.trim() === '') return null;
      if (!this.tokenizer) {
        throw new MissingModelFileError(`${this.files.dir} has no tokenizer.json / tokenizer_config.json; give item ${index} token ids or no text`);
      }
      return this.tokenizer.encodeBatch([text]);
    }
    const { inputIds, attentionMask } = text;
    if (!Array.isArray(inputIds) || inputIds.length === 0 || attentionMask?.length !== inputIds.length) {
      throw new EvaluationInputError(`item ${index}: text token ids need inputIds and an attentionMask of the same length`);
    }
    const vocab = this.config.textEncoder.vocabSize;
    const bad = inputIds.find((v) => !Number.isInteger(v) || v < 0 || v >= vocab);
    if (bad !== undefined) throw new EvaluationInputError(`item ${index}: token id ${bad} is outside the text encoder's vocabulary [0, ${vocab})`);
    if (attentionMask.every((m) => m === 0)) return null;
    return { inputIds: [inputIds], attentionMask: [attentionMask] };
  }

  /** Text states (or the null condition) and, for melody models, the item's chroma. */
  private async conditioningOf(item: ScoreItem, index: number): Promise<DecoderConditioning> {
    const tokens = this.tokenRow(item.text, index);
    let conditioning: DecoderConditioning;
    if (tokens === null) {
      conditioning = { rows: 1, encoderHiddenStates: new Float32Array(this.config.textEncoder.dModel), encoderLength: 1, encoderMask: [0] };
    } else {
      this.textEncoder ??= TextEncoderSession.load(this.files.textEncoder, { threads: this.threads, release: false });
      const { hiddenStates } = await (await this.textEncoder).encode(tokens);
      conditioning = { rows: 1, encoderHiddenStates: hiddenStates, encoderLength: tokens.inputIds[0].length, encoderMask: tokens.attentionMask[0] };
    }
    const melody = this.config.melody;
    const given = item.chroma && item.chroma.length > 0 ? { chroma: [item.chroma] } : item.melody ? { audio: [item.melody.channels], sampleRate: item.melody.sampleRate } : null;
    if (given) {
      // The chroma a one-window generation is conditioned on (the item is at most 30 s).
      const data = MelodyConditioner.of(melody, given, `item ${index}: ${this.files.dir} is a "${this.config.modelType}" model`, EvaluationInputError).chromaForWindow(null);
      conditioning.chroma = { data, frames: melody!.chromaLength };
    } else if (melody) {
      // No melody: HF's default, one chroma frame one-hot at C.
      conditioning.chroma = oneHotC(1, 1, melody.numChroma);
    } else if (item.chroma) {
      throw new EvaluationInputError(`item ${index}: ${this.files.dir} is not a melody model; drop the melody or use a musicgen_melody model`);
    }
    return conditioning;
  }

  /** Frees every onnxruntime session. */
  async dispose(): Promise<void> {
    const text = this.textEncoder;
    this.textEncoder = null;
    await Promise.all([this.decoder.release(), text?.then((t) => t.release())]);
  }
}
