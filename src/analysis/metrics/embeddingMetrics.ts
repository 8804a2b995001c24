import { MetricInputError } from '../errors.js';
import { frechetAudioDistance } from './frechetDistance.js';

/**
 * An audio embedding model the user supplies (e.g. VGGish or CLAP exported to ONNX and wrapped):
 * the sweep runner never ships one. Implementations resample to their own rate.
 */
export interface AudioEmbedder {
  /** Short name used in column names, e.g. "vggish". */
  readonly name: string;
  embedAudio(channels: readonly Float32Array[], sampleRate: number): Promise<Float32Array>;
}

/** A joint text-audio embedding model (CLAP): both embeddings live in one space. */
export interface TextAudioEmbedder extends AudioEmbedder {
  embedText(text: string): Promise<Float32Array>;
}

/** What a per-sample embedding metric sees of a generated sample. */
export interface EmbeddingMetricSample {
  sampleId: string;
  prompt: string | null;
  audio: readonly Float32Array[];
  sampleRate: number;
}

/** A metric computed per sample from embeddings; its value lands in the results column `name`. */
export interface SampleEmbeddingMetric {
  readonly name: string;
  measure(sample: EmbeddingMetricSample): Promise<number | null>;
}

/** A metric over a set of samples (one value per group, e.g. FAD per model and CFG coefficient). */
export interface SetEmbeddingMetric {
  readonly name: string;
  measureSet(samples: readonly EmbeddingMetricSample[]): Promise<number>;
}

/** Cosine similarity of two embeddings: the CLAP score of a (text, audio) pair. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new MetricInputError(`cosine similarity needs two equal-length, non-empty embeddings (got ${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.max(Math.sqrt(na), 1e-12) * Math.max(Math.sqrt(nb), 1e-12));
}

/** CLAP score: cosine similarity between the prompt's text embedding and the sample's audio embedding. */
export class ClapScoreMetric implements SampleEmbeddingMetric {
  readonly name: string;
  private readonly textCache = new Map<string, Promise<Float32Array>>();

  constructor(private readonly model: TextAudioEmbedder) {
    this.name = `clapScore_${model.name}`;
  }

  async measure(sample: EmbeddingMetricSample): Promise<number | null> {
    if (sample.prompt === null) return null;
    let text = this.textCache.get(sample.prompt);
    if (!text) {
      text = this.model.embedText(sample.prompt);
      this.textCache.set(sample.prompt, text);
    }
    return cosineSimilarity(await text, await this.model.embedAudio(sample.audio, sample.sampleRate));
  }
}

/** FAD of a group of samples against reference embeddings computed once (e.g. from a real-music set). */
export class FrechetAudioDistanceMetric implements SetEmbeddingMetric {
  readonly name: string;

  constructor(
    private readonly model: AudioEmbedder,
    private readonly referenceEmbeddings: ReadonlyArray<ArrayLike<number>>,
  ) {
    this.name = `fad_${model.name}`;
  }

  async measureSet(samples: readonly EmbeddingMetricSample[]): Promise<number> {
    const generated: Float32Array[] = [];
    for (const s of samples) generated.push(await this.model.embedAudio(s.audio, s.sampleRate));
    return frechetAudioDistance(generated, this.referenceEmbeddings);
  }
}
