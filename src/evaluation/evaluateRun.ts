import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { toCsv } from '../analysis/csv.js';
import { decoderParameterCount } from '../analysis/modelSize.js';
import { readAudio } from '../audio/read.js';
import type { DecodedAudio } from '../audio/decodedAudio.js';
import { AbortError } from '../inference/errors.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { CodecEncoder } from './codecEncoder.js';
import { CrossEntropyScorer, type ScoreItem } from './crossEntropyScorer.js';
import { DEFAULT_MIN_SEGMENT_SECONDS, DEFAULT_SEGMENT_SECONDS, descriptionOf, readDataset, segmentId, segmentsOf } from './dataset.js';
import { EvaluationInputError, TokenCacheError } from './errors.js';
import { writeEvaluationReport } from './evaluationReport.js';
import { flatEvaluationRow, flatSummaryRow, summarizeEvaluation, type EvaluationRow, type ModelSummary } from './evaluationResults.js';
import { listCachedSegments, readSegment, type CachedSegment } from './tokenCache.js';
import { writeFileAtomic } from '../atomicWrite.js';

export interface EvaluateProgress {
  done: number;
  total: number;
  /** What `done` counts: cached segments (--tokens) or dataset items (--data). */
  unit: 'segments' | 'items';
  model: string;
}

export interface EvaluateOptions {
  /** Model folders to score. */
  models: readonly string[];
  /** A dataset (encoded on the fly with each model's EnCodec) or a token cache folder: exactly one. */
  data?: string;
  tokens?: string;
  /** The null condition for every item instead of the metadata's description. */
  unconditional?: boolean;
  /** --data only: segment length and the shortest remainder kept, in seconds. */
  segment?: number;
  minSegment?: number;
  dtype?: string;
  decoderLayout?: string;
  threads?: number;
  /** Stops between segments (AbortError). */
  signal?: AbortSignal;
  progress?: (p: EvaluateProgress) => void;
}

export interface EvaluateResult {
  rows: EvaluationRow[];
  summaries: ModelSummary[];
}

/** Short, unique model labels: folder names, or the full paths when two folders share a name. */
export function modelLabels(models: readonly string[]): string[] {
  const names = models.map((m) => basename(resolve(m)));
  return names.map((n, i) => (names.filter((x) => x === n).length > 1 ? resolve(models[i]) : n));
}

/** Decoded audio of the last file asked for (segments of one file come in a row). */
export class AudioFileCache {
  private path = '';
  private audio: Promise<DecodedAudio> | null = null;

  read(path: string): Promise<DecodedAudio> {
    if (path !== this.path || !this.audio) {
      this.path = path;
      this.audio = readAudio(path);
    }
    return this.audio;
  }
}

export function sliceAudio(audio: DecodedAudio, offset: number, duration: number): { channels: Float32Array[]; sampleRate: number } {
  const from = Math.round(offset * audio.sampleRate);
  const to = Math.min(audio.channels[0].length, from + Math.round(duration * audio.sampleRate));
  return { channels: audio.channels.map((c) => c.subarray(from, to)), sampleRate: audio.sampleRate };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('evaluation stopped between segments');
}

/**
 * Teacher-forced cross-entropy of each model on each segment (docs/EVALUATION.md). Models are
 * loaded one at a time; with --data each model's own EnCodec encodes the audio.
 */
export async function evaluateModels(opts: EvaluateOptions): Promise<EvaluateResult> {
  if (opts.models.length === 0) throw new EvaluationInputError('give at least one model folder');
  if ((opts.data === undefined) === (opts.tokens === undefined)) throw new EvaluationInputError('give exactly one of a dataset (--data) or a token cache (--tokens)');
  const labels = modelLabels(opts.models);
  const cached = opts.tokens !== undefined ? readTokenCache(resolve(opts.tokens)) : null;
  const items = opts.data !== undefined ? readDataset(opts.data) : null;
  const segment = opts.segment ?? DEFAULT_SEGMENT_SECONDS;
  const minSegment = Math.min(opts.minSegment ?? DEFAULT_MIN_SEGMENT_SECONDS, segment);
  const rows: EvaluationRow[] = [];
  const parameters = new Map<string, number>();
  const total = (cached?.length ?? items?.length ?? 0) * opts.models.length;
  let done = 0;
  for (const [m, dir] of opts.models.entries()) {
    const model = labels[m];
    const scorer = await CrossEntropyScorer.load(dir, { dtype: opts.dtype, decoderLayout: opts.decoderLayout, threads: opts.threads });
    try {
      parameters.set(model, decoderParameterCount(scorer.config));
      const melody = scorer.config.melody !== null && !opts.unconditional;
      const score = async (id: string, item: ScoreItem, text: string | null): Promise<void> => {
        checkAbort(opts.signal);
        const [r] = await scorer.crossEntropy([item]);
        rows.push({ model, id, frames: r.frames, text, crossEntropy: r.crossEntropy, perplexity: r.perplexity, tokens: r.tokens, ce: r.ce, ppl: r.ppl, audioSeconds: r.frames / scorer.frameRate, decoderMs: r.decoderMs });
      };
      const files = new AudioFileCache();
      if (cached) {
        for (const seg of cached) {
          checkCompatible(seg, scorer.config, dir);
          const text = opts.unconditional ? null : descriptionOf(seg.info.metadata);
          const item: ScoreItem = { codes: seg.codes, text };
          if (melody) item.melody = sliceAudio(await files.read(seg.info.source), seg.info.offset, seg.info.duration);
          await score(seg.info.id, item, text);
          opts.progress?.({ done: ++done, total, unit: 'segments', model });
        }
      } else if (items) {
        const encoder = CodecEncoder.open(dir, { dtype: opts.dtype, threads: opts.threads });
        try {
          for (const it of items) {
            const audio = await readAudio(it.path);
            const text = opts.unconditional ? null : descriptionOf(it.metadata);
            for (const s of segmentsOf(audio.channels[0].length / audio.sampleRate, segment, minSegment)) {
              checkAbort(opts.signal);
              const clip = sliceAudio(audio, s.offset, s.duration);
              const item: ScoreItem = { codes: await encoder.encode(clip.channels, clip.sampleRate), text };
              if (melody) item.melody = clip;
              await score(segmentId(it.id, s.index), item, text);
            }
            opts.progress?.({ done: ++done, total, unit: 'items', model });
          }
        } finally {
          await encoder.dispose();
        }
      }
    } finally {
      await scorer.dispose();
    }
  }
  if (rows.length === 0) throw new EvaluationInputError('no segment was scored: every item is shorter than --min-segment');
  return { rows, summaries: summarizeEvaluation(rows, parameters) };
}

/** Every finished segment of a token cache (musicgen encode), in id order. */
export function readTokenCache(dir: string): CachedSegment[] {
  const ids = listCachedSegments(dir);
  if (ids.length === 0) throw new TokenCacheError(`token cache ${dir} holds no finished segment; run musicgen encode first`);
  return ids.map((id) => readSegment(dir, id));
}

/** A cached segment's codes fit the model: codebooks, codebook size, channels. */
export function checkCompatible(seg: CachedSegment, config: MusicgenModelConfig, dir: string): void {
  const d = config.decoder;
  const i = seg.info;
  if (i.num_codebooks !== d.numCodebooks || i.codebook_size !== d.vocabSize || i.audio_channels !== d.audioChannels) {
    throw new TokenCacheError(
      `${i.id}: cached with ${i.num_codebooks} codebooks of ${i.codebook_size} (${i.audio_channels} channel(s), by ${i.model}) but ${dir} takes ${d.numCodebooks} of ${d.vocabSize} (${d.audioChannels}); encode the dataset again with a model of the same codec`,
    );
  }
}


/** The per-item JSON of `--json` and results.json (AudioCraft's names beside ours). */
export function evaluationJson(result: EvaluateResult): { items: object[]; summary: ModelSummary[] } {
  return {
    items: result.rows.map((r) => ({ model: r.model, id: r.id, frames: r.frames, text: r.text, crossEntropy: r.crossEntropy, perplexity: r.perplexity, tokens: r.tokens, ce: r.ce, ppl: r.ppl })),
    summary: result.summaries,
  };
}

/** results.csv (one row per model and segment), summary.csv, results.json and report.html in `outDir`. */
export async function writeEvaluationOutputs(outDir: string, result: EvaluateResult, opts: { report?: boolean; note?: string } = {}): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files = ['results.csv', 'summary.csv', 'results.json'];
  await writeFileAtomic(join(outDir, 'results.csv'), toCsv(result.rows.map(flatEvaluationRow)));
  await writeFileAtomic(join(outDir, 'summary.csv'), toCsv(result.summaries.map(flatSummaryRow)));
  await writeFileAtomic(join(outDir, 'results.json'), `${JSON.stringify(evaluationJson(result), null, 2)}\n`);
  if (opts.report !== false) {
    await writeEvaluationReport(outDir, result.rows, result.summaries, opts.note);
    files.push('report.html');
  }
  return files.map((f) => join(outDir, f));
}
