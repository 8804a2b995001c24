import FFT from 'fft.js';
import { InvalidAudioError } from './errors.js';

/** Periodic Hann window (torch.hann_window(n), periodic=True). */
export function hannWindow(size: number): Float64Array {
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  return w;
}

export interface PowerSpectrogramOptions {
  /** FFT size = window length; a power of two (fft.js). */
  nFft: number;
  hop: number;
}

/** Number of frames of a centred STFT: 1 + floor(length / hop). */
export function stftFrameCount(length: number, hop: number): number {
  return 1 + Math.floor(length / hop);
}

/**
 * Centred power STFT as torchaudio.transforms.Spectrogram(n_fft, hop_length, power=2,
 * normalized=True, center=True, pad_mode='reflect') computes it: the signal is reflect-padded by
 * nFft/2 on both sides, framed every `hop` samples, multiplied by a periodic Hann window, and
 * |FFT|^2 is divided by the window energy sum(w^2) ("normalized" scales the complex spectrum by
 * 1/sqrt(sum w^2)).
 *
 * Frames are streamed to `onFrame` (bins 0..nFft/2 in a reused buffer) instead of being kept, so
 * long files do not hold the whole spectrogram in memory.
 */
export function forEachPowerFrame(
  samples: ArrayLike<number>,
  { nFft, hop }: PowerSpectrogramOptions,
  onFrame: (frame: number, power: Float64Array) => void,
): number {
  if (nFft < 4 || (nFft & (nFft - 1)) !== 0) throw new InvalidAudioError(`STFT size must be a power of two >= 4, got ${nFft}`);
  const half = nFft / 2;
  if (samples.length <= half) {
    throw new InvalidAudioError(
      `STFT: reflect padding needs more than ${half} samples, got ${samples.length}; zero-pad short input first`,
    );
  }
  const window = hannWindow(nFft);
  let windowEnergy = 0;
  for (let i = 0; i < nFft; i++) windowEnergy += window[i] * window[i];

  const fft = new FFT(nFft);
  const frameBuf = new Float64Array(nFft);
  const spectrum = new Float64Array(2 * nFft);
  const power = new Float64Array(half + 1);
  const n = samples.length;
  const frames = stftFrameCount(n, hop);
  for (let f = 0; f < frames; f++) {
    const start = f * hop - half;
    for (let i = 0; i < nFft; i++) {
      let j = start + i;
      // Reflect without repeating the edge sample (numpy/torch 'reflect').
      if (j < 0) j = -j;
      else if (j >= n) j = 2 * (n - 1) - j;
      frameBuf[i] = samples[j] * window[i];
    }
    fft.realTransform(spectrum, frameBuf);
    for (let k = 0; k <= half; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      power[k] = (re * re + im * im) / windowEnergy;
    }
    onFrame(f, power);
  }
  return frames;
}
