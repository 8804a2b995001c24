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

/**
 * Filters `x` from zero initial state in float64. torchaudio's lfilter clamps its output to
 * [-1, 1] by default (clamp=True), and loudness relies on that default, so `clamp` mirrors it.
 */
export function applyBiquad(x: ArrayLike<number>, c: BiquadCoefficients, clamp: boolean): Float64Array {
  const y = new Float64Array(x.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let n = 0; n < x.length; n++) {
    const xn = x[n];
    // The recursion uses the unclamped output: torchaudio clamps only the returned tensor.
    const yn = c.b0 * xn + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
    x2 = x1;
    x1 = xn;
    y2 = y1;
    y1 = yn;
    y[n] = clamp ? (yn > 1 ? 1 : yn < -1 ? -1 : yn) : yn;
  }
  return y;
}
