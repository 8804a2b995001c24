/** Normalised biquad coefficients (a0 = 1) of y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]. */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * RBJ cookbook high shelf, in the exact algebraic form of torchaudio.functional.treble_biquad
 * (so a loudness port reproduces torchaudio to rounding error).
 */
export function highShelf(sampleRate: number, gainDb: number, centerHz: number, q: number): BiquadCoefficients {
  const w0 = (2 * Math.PI * centerHz) / sampleRate;
  const alpha = Math.sin(w0) / 2 / q;
  const A = Math.exp((gainDb / 40) * Math.log(10));
  const t1 = 2 * Math.sqrt(A) * alpha;
  const t2 = (A - 1) * Math.cos(w0);
  const t3 = (A + 1) * Math.cos(w0);
  const b0 = A * (A + 1 + t2 + t1);
  const b1 = -2 * A * (A - 1 + t3);
  const b2 = A * (A + 1 + t2 - t1);
  const a0 = A + 1 - t2 + t1;
  const a1 = 2 * (A - 1 - t3);
  const a2 = A + 1 - t2 - t1;
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** RBJ cookbook high pass, as torchaudio.functional.highpass_biquad. */
export function highPass(sampleRate: number, cutoffHz: number, q: number): BiquadCoefficients {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRate;
  const alpha = Math.sin(w0) / 2 / q;
  const b0 = (1 + Math.cos(w0)) / 2;
  const b1 = -1 - Math.cos(w0);
  const b2 = b0;
  const a0 = 1 + alpha;
  const a1 = -2 * Math.cos(w0);
  const a2 = 1 - alpha;
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}
