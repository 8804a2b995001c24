import { chromaFilterBank } from './chromaFilterBank.js';
import { convertAudio } from './convertAudio.js';
import { InvalidAudioError } from './errors.js';
import { JULIUS_RESAMPLE } from './resample.js';
import { forEachPowerFrame } from './stft.js';

/** MusicGen-melody's chroma parameters (AudioCraft ChromaExtractor / HF MusicgenMelodyFeatureExtractor). */
export const CHROMA_SAMPLE_RATE = 32000;
export const CHROMA_N_FFT = 16384;
export const CHROMA_HOP = 4096;
export const NUM_CHROMA = 12;
/** Frames of 30 s at 32 kHz: 1 + floor(960000 / 4096); the melody models' chroma_length. */
export const MELODY_CHROMA_LENGTH = 235;
const NORM_EPS = 1e-6;

/**
 * A chromagram: one Float32Array of 12 values per STFT frame (frame-major, i.e. frames x 12,
 * index 0 = C, 1 = C#, ... 11 = B). Frames are 4096 samples (128 ms at 32 kHz) apart.
 */
export type Chroma = Float32Array[];

export interface ExtractChromaOptions {
  /** One-hot frames (argmax, first maximum wins, an all-zero frame -> C), as the model consumes. Default true. */
  argmax?: boolean;
  /**
   * Tile (repeat from the start) or truncate to this many frames, as AudioCraft's
   * ChromaStemConditioner does with match_len_on_eval. Default: the natural frame count.
   * The melody models use {@link MELODY_CHROMA_LENGTH} (235).
   */
  chromaLength?: number;
}

let cachedBank: Float64Array[] | undefined;
function bank(): Float64Array[] {
  cachedBank ??= chromaFilterBank(CHROMA_SAMPLE_RATE, CHROMA_N_FFT, { numChroma: NUM_CHROMA });
  return cachedBank;
}

/**
 * Raw chroma energies (filter bank x normalised power spectrum), frames x 12, before any
 * normalisation: einsum('cf,ft->tc') of AudioCraft's ChromaExtractor. `samples` is mono; other
 * rates than 32 kHz are first resampled with julius' kernel, as AudioCraft's conditioner does.
 * Input shorter than one FFT is zero-padded symmetrically to 16384 samples, as AudioCraft does.
 */
export function rawChroma(samples: Float32Array, sampleRate: number): Chroma {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new InvalidAudioError(`chroma: sample rate must be a positive integer in Hz, got ${sampleRate}`);
  }
  if (samples.length === 0) throw new InvalidAudioError('chroma: audio is empty');
  if (sampleRate !== CHROMA_SAMPLE_RATE) samples = toChromaRate([samples], sampleRate);
  const fb = bank();
  const out: Chroma = [];
  forEachPowerFrame(padToFft(samples), { nFft: CHROMA_N_FFT, hop: CHROMA_HOP }, (_f, power) => {
    const frame = new Float32Array(NUM_CHROMA);
    for (let c = 0; c < NUM_CHROMA; c++) {
      const w = fb[c];
      let s = 0;
      for (let k = 0; k < power.length; k++) s += w[k] * power[k];
      frame[c] = s;
    }
    out.push(frame);
  });
  return out;
}

/**
 * Chroma of mono 32 kHz audio as MusicGen-melody consumes it: raw chroma divided per frame by its
 * maximum (eps 1e-6), optionally one-hot (argmax), optionally tiled/truncated to `chromaLength`.
 */
export function extractChroma(samples: Float32Array, sampleRate: number, options: ExtractChromaOptions = {}): Chroma {
  const { argmax = true, chromaLength } = options;
  const frames = rawChroma(samples, sampleRate).map((raw) => (argmax ? oneHot(raw) : infNormalize(raw)));
  return chromaLength === undefined ? frames : fitChromaLength(frames, chromaLength);
}

/**
 * Audio at any rate and channel count as the melody conditioner reads it: the mean of the
 * channels at 32 kHz, resampled with julius' kernel (AudioCraft's ChromaStemConditioner calls
 * convert_audio). Every chroma of the project (the model's melody input, the CLI's, the app's and
 * the report's pictures and match rates) goes through this one conversion (docs/AUDIO.md).
 */
export function toChromaRate(channels: readonly Float32Array[], sampleRate: number): Float32Array {
  return convertAudio(channels, sampleRate, CHROMA_SAMPLE_RATE, 1, JULIUS_RESAMPLE)[0];
}

/** {@link extractChroma} of audio at any rate and channel count ({@link toChromaRate} first). */
export function audioChroma(channels: readonly Float32Array[], sampleRate: number, options: ExtractChromaOptions = {}): Chroma {
  return extractChroma(toChromaRate(channels, sampleRate), CHROMA_SAMPLE_RATE, options);
}

/** Repeats the frames from the start until `length` is reached, or truncates (AudioCraft's match_len_on_eval). */
export function fitChromaLength(frames: Chroma, length: number): Chroma {
  if (!Number.isInteger(length) || length <= 0) throw new InvalidAudioError(`chromaLength must be a positive integer, got ${length}`);
  if (frames.length === 0) throw new InvalidAudioError('cannot tile an empty chromagram');
  return Array.from({ length }, (_, t) => frames[t % frames.length]);
}

/** x / max(max|x|, eps), as torch.nn.functional.normalize(p=inf, eps=1e-6). */
function infNormalize(raw: Float32Array): Float32Array {
  let m = 0;
  for (const v of raw) m = Math.max(m, Math.abs(v));
  const d = Math.max(m, NORM_EPS);
  return raw.map((v) => v / d);
}

/** One-hot of the first maximum; an all-zero frame becomes C (argmax of zeros is 0). */
function oneHot(raw: Float32Array): Float32Array {
  let best = 0;
  for (let c = 1; c < raw.length; c++) if (raw[c] > raw[best]) best = c;
  const out = new Float32Array(raw.length);
  out[best] = 1;
  return out;
}

/** Zero-pads input shorter than one FFT to exactly n_fft samples, centred (AudioCraft / HF). */
function padToFft(samples: Float32Array): Float32Array {
  if (samples.length >= CHROMA_N_FFT) return samples;
  const pad = CHROMA_N_FFT - samples.length;
  const out = new Float32Array(CHROMA_N_FFT);
  out.set(samples, Math.floor(pad / 2));
  return out;
}
