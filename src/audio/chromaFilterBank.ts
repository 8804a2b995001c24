/**
 * Chroma filter bank, a port of librosa.filters.chroma as transformers.audio_utils
 * chroma_filter_bank implements it (the bank AudioCraft's ChromaExtractor and HF's
 * MusicgenMelodyFeatureExtractor use): Gaussian bumps in log-frequency around each pitch class,
 * columns L2-normalised, weighted by a Gaussian over octaves centred on `centerOctave`, rows
 * rotated so row 0 is C.
 *
 * Returns `numChroma` rows of `nFft/2 + 1` weights (row-major Float64Array per chroma bin).
 */
export function chromaFilterBank(
  sampleRate: number,
  nFft: number,
  { numChroma = 12, tuning = 0, centerOctave = 5, octaveWidth = 2 }: ChromaFilterBankOptions = {},
): Float64Array[] {
  const bins = nFft; // librosa builds the bank over all nFft FFT bins, then keeps the first half.
  const freqBins = new Float64Array(bins);
  const a440 = 440.0 * 2.0 ** (tuning / numChroma);
  for (let k = 1; k < bins; k++) {
    const hz = (k * sampleRate) / nFft;
    freqBins[k] = numChroma * Math.log2(hz / (a440 / 16));
  }
  // Made-up 0 Hz bin, 1.5 octaves below bin 1 (librosa's convention).
  freqBins[0] = freqBins[1] - 1.5 * numChroma;

  const binWidth = new Float64Array(bins);
  for (let k = 0; k < bins - 1; k++) binWidth[k] = Math.max(freqBins[k + 1] - freqBins[k], 1.0);
  binWidth[bins - 1] = 1;

  const half = Math.round(numChroma / 2);
  const wts = Array.from({ length: numChroma }, () => new Float64Array(bins));
  for (let k = 0; k < bins; k++) {
    let norm = 0;
    for (let c = 0; c < numChroma; c++) {
      // Distance in semitones to pitch class c, wrapped into [-half, half).
      const d = floorMod(freqBins[k] - c + half + 10 * numChroma, numChroma) - half;
      const v = Math.exp(-0.5 * ((2 * d) / binWidth[k]) ** 2);
      wts[c][k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    const octaveWeight = Math.exp(-0.5 * ((freqBins[k] / numChroma - centerOctave) / octaveWidth) ** 2);
    for (let c = 0; c < numChroma; c++) wts[c][k] = (wts[c][k] / norm) * octaveWeight;
  }

  // Rotate so that row 0 is C (librosa's base_c: np.roll(wts, -3 * (n_chroma // 12), axis=0)).
  const shift = 3 * Math.floor(numChroma / 12);
  const keep = nFft / 2 + 1;
  return Array.from({ length: numChroma }, (_, c) => wts[(c + shift) % numChroma].slice(0, keep));
}

export interface ChromaFilterBankOptions {
  numChroma?: number;
  /** Tuning deviation in fractions of a chroma bin (0 = A440). */
  tuning?: number;
  /** Centre of the octave weighting, in octaves above C0 (librosa ctroct). */
  centerOctave?: number;
  /** Width of the octave weighting in octaves (librosa octwidth). */
  octaveWidth?: number;
}

/** numpy.remainder: result has the sign of the divisor. */
function floorMod(a: number, m: number): number {
  return a - m * Math.floor(a / m);
}
