import { CHROMA_N_FFT, CHROMA_SAMPLE_RATE } from '../../audio/chroma.js';
import { audioChromaMatchRate } from '../../audio/chromaMatchRate.js';
import { convertAudio } from '../../audio/convertAudio.js';
import { JULIUS_RESAMPLE } from '../../audio/resample.js';
import { loudness } from '../../audio/loudness.js';
import { spectralShape } from './spectralShape.js';
import { tokenStatistics } from './tokenStatistics.js';

/** Audio metrics of one generated sample, measured on the raw model output (before normalisation). */
export interface AudioQualityMetrics {
  /** Integrated loudness (BS.1770-4), LUFS; null when no 400 ms block passes the gates. */
  loudnessLufs: number | null;
  /** AudioCraft's chroma cosine against the melody (share of frames with the same pitch class); null without a melody. */
  chromaMatchRate: number | null;
  spectralCentroidHz: number | null;
  spectralFlatness: number | null;
}

/** Token metrics of one sample: entropy (bits) and distinct-token ratio per codebook and their means. */
export interface TokenMetrics {
  entropyBits: number;
  distinctRatio: number;
  entropyBitsByCodebook: number[];
  distinctRatioByCodebook: number[];
}

export interface SampleMetricsInput {
  codes: readonly ArrayLike<number>[];
  vocabSize: number;
  audio: readonly Float32Array[];
  sampleRate: number;
  /** The melody the sample should follow (any rate and channel count), or null. */
  melody?: { channels: readonly Float32Array[]; sampleRate: number } | null;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Token statistics averaged over codebooks. */
export function tokenMetrics(codes: readonly ArrayLike<number>[], vocabSize: number): TokenMetrics {
  const stats = tokenStatistics(codes, vocabSize);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const entropyBitsByCodebook = stats.map((s) => s.entropyBits);
  const distinctRatioByCodebook = stats.map((s) => s.distinctRatio);
  return { entropyBits: mean(entropyBitsByCodebook), distinctRatio: mean(distinctRatioByCodebook), entropyBitsByCodebook, distinctRatioByCodebook };
}

/**
 * Chroma match rate of `audio` against `melody` (both brought to `sampleRate` mono first, the
 * melody with julius' kernel as the model reads it: src/audio/chroma.ts toChromaRate). Null
 * when either is shorter than half the 16384-sample chroma window, where no chroma exists.
 */
export function melodyChromaMatch(
  melody: { channels: readonly Float32Array[]; sampleRate: number },
  audio: readonly Float32Array[],
  sampleRate: number,
): number | null {
  const reference = convertAudio(melody.channels, melody.sampleRate, sampleRate, 1, JULIUS_RESAMPLE);
  const minSamples = Math.ceil(((CHROMA_N_FFT / 2 + 1) * sampleRate) / CHROMA_SAMPLE_RATE);
  if (reference[0].length < minSamples || audio[0].length < minSamples) return null;
  return audioChromaMatchRate(reference, audio, sampleRate).rate;
}

/** Loudness, chroma match against the melody, spectral centroid and flatness of one sample. */
export function audioQualityMetrics(input: Omit<SampleMetricsInput, 'codes' | 'vocabSize'>): AudioQualityMetrics {
  const shape = spectralShape(input.audio, input.sampleRate);
  return {
    loudnessLufs: finiteOrNull(loudness(input.audio, input.sampleRate)),
    chromaMatchRate: input.melody ? melodyChromaMatch(input.melody, input.audio, input.sampleRate) : null,
    spectralCentroidHz: finiteOrNull(shape.centroidHz),
    spectralFlatness: finiteOrNull(shape.flatness),
  };
}

/** Every model-free metric of one sample. */
export function sampleMetrics(input: SampleMetricsInput): AudioQualityMetrics & TokenMetrics {
  return { ...audioQualityMetrics(input), ...tokenMetrics(input.codes, input.vocabSize) };
}
