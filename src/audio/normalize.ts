import { InvalidAudioError } from './errors.js';
import { loudness } from './loudness.js';
import { channelLength, checkSampleRate } from './validate.js';

export type NormalizeStrategy = 'peak' | 'clip' | 'rms' | 'loudness' | 'none';

/** Options of AudioCraft's normalize_audio / audio_write, with its defaults. */
export interface NormalizeOptions {
  /** Default 'peak' (AudioCraft's audio_write default). */
  strategy?: NormalizeStrategy;
  /**
   * When false, 'peak' and 'rms' only scale down, i.e. only act when the signal would otherwise
   * exceed the target (AudioCraft's `normalize`). Default true.
   */
  normalize?: boolean;
  /** Target peak below full scale for 'peak', and clip level for 'clip', in dB. Default 1. */
  peakClipHeadroomDb?: number;
  /** Target RMS of the mono mix below full scale for 'rms', in dB. Default 18. */
  rmsHeadroomDb?: number;
  /** Target loudness is -loudnessHeadroomDb LUFS for 'loudness'. Default 14. */
  loudnessHeadroomDb?: number;
  /** Soft-clip with tanh after the loudness gain. Default false. */
  loudnessCompressor?: boolean;
  /** 'loudness' leaves audio whose overall RMS is below this untouched. Default 2e-3. */
  energyFloor?: number;
}

/**
 * Returns normalised copies of `channels` (the input is not modified), as AudioCraft's
 * normalize_audio:
 * - peak: scale so max |x| = -peakClipHeadroomDb dBFS;
 * - clip: clamp to +-(-peakClipHeadroomDb dBFS);
 * - rms: scale so the RMS of the channel mean is -rmsHeadroomDb dB, then clamp to [-1, 1];
 * - loudness: scale to -loudnessHeadroomDb LUFS (BS.1770-4 as torchaudio), optional tanh, then
 *   clamp to [-1, 1]; skipped when the RMS over all samples is below energyFloor (silence) or
 *   the audio is too short to be measured (< 400 ms);
 * - none: unchanged.
 * Where AudioCraft would divide by zero (digital silence under peak/rms) the audio is left as is.
 */
export function normalizeAudio(channels: readonly Float32Array[], sampleRate: number, options: NormalizeOptions = {}): Float32Array[] {
  const {
    strategy = 'peak',
    normalize = true,
    peakClipHeadroomDb = 1,
    rmsHeadroomDb = 18,
    loudnessHeadroomDb = 14,
    loudnessCompressor = false,
    energyFloor = 2e-3,
  } = options;
  const length = channelLength(channels, 'normalizeAudio');
  checkSampleRate(sampleRate, 'normalizeAudio');
  const scalePeak = 10 ** (-peakClipHeadroomDb / 20);
  const scaleRms = 10 ** (-rmsHeadroomDb / 20);

  switch (strategy) {
    case 'clip':
      return channels.map((c) => clamp(c, scalePeak));
    case 'peak': {
      let peak = 0;
      for (const c of channels) for (const v of c) peak = Math.max(peak, Math.abs(v));
      const rescaling = scalePeak / peak;
      return Number.isFinite(rescaling) && (normalize || rescaling < 1) ? channels.map((c) => scale(c, rescaling)) : copy(channels);
    }
    case 'rms': {
      let sum = 0;
      for (let i = 0; i < length; i++) {
        let m = 0;
        for (const c of channels) m += c[i];
        m /= channels.length;
        sum += m * m;
      }
      const rescaling = scaleRms / Math.sqrt(sum / length);
      const out = Number.isFinite(rescaling) && (normalize || rescaling < 1) ? channels.map((c) => scale(c, rescaling)) : copy(channels);
      return out.map((c) => clamp(c, 1, c));
    }
    case 'loudness': {
      let sum = 0;
      for (const c of channels) for (const v of c) sum += v * v;
      const energy = Math.sqrt(sum / (length * channels.length));
      if (!(energy >= energyFloor)) return channels.map((c) => clamp(c, 1));
      const inputLoudness = loudness(channels, sampleRate);
      if (!Number.isFinite(inputLoudness)) return channels.map((c) => clamp(c, 1));
      const gain = 10 ** ((-loudnessHeadroomDb - inputLoudness) / 20);
      return channels.map((c) => {
        const out = scale(c, gain);
        if (loudnessCompressor) for (let i = 0; i < out.length; i++) out[i] = Math.tanh(out[i]);
        return clamp(out, 1, out);
      });
    }
    case 'none':
      return copy(channels);
    default:
      throw new InvalidAudioError(`unknown normalisation strategy '${String(strategy)}'; use peak, clip, rms, loudness or none`);
  }
}

function copy(channels: readonly Float32Array[]): Float32Array[] {
  return channels.map((c) => c.slice());
}

function scale(x: Float32Array, k: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * k;
  return out;
}

/** Clamps to [-limit, limit], into `out` (a new array unless given). */
function clamp(x: Float32Array, limit: number, out: Float32Array = new Float32Array(x.length)): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v > limit ? limit : v < -limit ? -limit : v;
  }
  return out;
}
