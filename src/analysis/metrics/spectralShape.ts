import { forEachPowerFrame } from '../../audio/stft.js';
import { MetricInputError } from '../errors.js';

export interface SpectralShape {
  /** Power-weighted mean frequency in Hz, averaged over non-silent frames. */
  centroidHz: number;
  /** Geometric / arithmetic mean of the power spectrum (0 tonal .. 1 white noise), averaged over non-silent frames. */
  flatness: number;
}

export interface SpectralShapeOptions {
  /** FFT size (power of two). Default 2048. */
  nFft?: number;
  /** Hop in samples. Default nFft / 4. */
  hop?: number;
}

/** Frames whose total power is below this are silence and carry no spectral shape. */
const SILENT_POWER = 1e-10;
/** Keeps log(0) out of the geometric mean (librosa's amin for spectral_flatness is 1e-10). */
const FLATNESS_FLOOR = 1e-10;

/** Mono mix: the mean of the channels. */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0 || channels[0].length === 0) throw new MetricInputError('audio metrics need at least one non-empty channel');
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / channels.length;
  return out;
}

/**
 * Spectral centroid and flatness (as librosa.feature.spectral_centroid / spectral_flatness on a
 * centred Hann STFT, power 2), averaged over the frames that are not silent. The centroid of a
 * pure sine is its frequency; flatness is ~0 for a sine and ~0.5-0.6 for white noise.
 */
export function spectralShape(channels: readonly Float32Array[], sampleRate: number, opts: SpectralShapeOptions = {}): SpectralShape {
  const mono = mixToMono(channels);
  let nFft = opts.nFft ?? 2048;
  // Short clips: shrink the window so the reflect padding has enough samples.
  while (mono.length <= nFft / 2 && nFft > 64) nFft /= 2;
  if (mono.length <= nFft / 2) throw new MetricInputError(`spectral metrics need more than ${nFft / 2} samples (got ${mono.length})`);
  const hop = opts.hop ?? nFft / 4;
  const binHz = sampleRate / nFft;
  let centroidSum = 0;
  let flatnessSum = 0;
  let frames = 0;
  forEachPowerFrame(mono, { nFft, hop }, (_f, power) => {
    let total = 0;
    let weighted = 0;
    let logSum = 0;
    for (let k = 0; k < power.length; k++) {
      total += power[k];
      weighted += k * binHz * power[k];
      logSum += Math.log(Math.max(power[k], FLATNESS_FLOOR));
    }
    if (total < SILENT_POWER) return;
    const arithmetic = Math.max(total / power.length, FLATNESS_FLOOR);
    centroidSum += weighted / total;
    flatnessSum += Math.exp(logSum / power.length) / arithmetic;
    frames++;
  });
  if (frames === 0) return { centroidHz: Number.NaN, flatness: Number.NaN };
  return { centroidHz: centroidSum / frames, flatness: flatnessSum / frames };
}
