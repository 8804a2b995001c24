import { highPass, highShelf, type BiquadCoefficients } from './biquad.js';
import { InvalidAudioError } from './errors.js';
import { channelLength, checkSampleRate } from './validate.js';

/** BS.1770 channel weights for L, R, C, Ls, Rs (torchaudio supports up to five channels). */
const CHANNEL_WEIGHTS = [1.0, 1.0, 1.0, 1.41, 1.41];
const BLOCK_SECONDS = 0.4;
const OVERLAP = 0.75;
const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const K_WEIGHT_OFFSET = -0.691;

/**
 * Integrated loudness in LUFS (ITU-R BS.1770-4), computed exactly as
 * torchaudio.functional.loudness 0.13 does: K-weighting by two RBJ biquads designed at the actual
 * sample rate (so not the standard's 48 kHz coefficients), 400 ms blocks with 75 % overlap and no
 * partial last block, absolute gate at -70 LUFS, relative gate at -10 LU.
 *
 * Returns -Infinity when no block survives gating (silence, or audio shorter than one block),
 * where torchaudio would return NaN.
 */
export function loudness(channels: readonly Float32Array[], sampleRate: number): number {
  const length = channelLength(channels, 'loudness');
  checkSampleRate(sampleRate, 'loudness');
  if (channels.length > CHANNEL_WEIGHTS.length) {
    throw new InvalidAudioError(`loudness: at most ${CHANNEL_WEIGHTS.length} channels are supported, got ${channels.length}`);
  }
  const blockSize = Math.round(BLOCK_SECONDS * sampleRate);
  const step = Math.round(blockSize * (1 - OVERLAP));
  if (length < blockSize) return -Infinity;
  const blocks = Math.floor((length - blockSize) / step) + 1;

  const shelf = highShelf(sampleRate, 4.0, 1500.0, 1 / Math.sqrt(2));
  const hp = highPass(sampleRate, 38.0, 0.5);
  // energy[c][b]: mean square of K-weighted channel c over block b.
  const energy = channels.map((x) => blockEnergies(kWeightedSquares(x, shelf, hp), blockSize, step, blocks));

  const blockLoudness = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let sum = 0;
    for (let c = 0; c < channels.length; c++) sum += CHANNEL_WEIGHTS[c] * energy[c][b];
    blockLoudness[b] = K_WEIGHT_OFFSET + 10 * Math.log10(sum);
  }

  const aboveAbsolute = (b: number): boolean => blockLoudness[b] > ABSOLUTE_GATE_LUFS;
  const relativeGate = gatedLoudness(energy, blocks, aboveAbsolute) + RELATIVE_GATE_LU;
  const result = gatedLoudness(energy, blocks, (b) => aboveAbsolute(b) && blockLoudness[b] > relativeGate);
  return Number.isNaN(result) ? -Infinity : result;
}

/**
 * Squares of the K-weighted signal: the shelf then the high pass, both from zero state in float64.
 * torchaudio's lfilter clamps each filter's returned output to [-1, 1] (clamp=True, which
 * loudness relies on) while its recursion runs on the unclamped values; both are mirrored here.
 * One fused pass, because this loop is the whole cost of a loudness measurement.
 */
function kWeightedSquares(x: Float32Array, s: BiquadCoefficients, h: BiquadCoefficients): Float64Array {
  const out = new Float64Array(x.length);
  const { b0: sb0, b1: sb1, b2: sb2, a1: sa1, a2: sa2 } = s;
  const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = h;
  let sx1 = 0, sx2 = 0, sy1 = 0, sy2 = 0; // shelf state
  let hx1 = 0, hx2 = 0, hy1 = 0, hy2 = 0; // high-pass state (its input is the clamped shelf output)
  for (let n = 0; n < x.length; n++) {
    const xn = x[n];
    const sy = sb0 * xn + sb1 * sx1 + sb2 * sx2 - sa1 * sy1 - sa2 * sy2;
    sx2 = sx1;
    sx1 = xn;
    sy2 = sy1;
    sy1 = sy;
    const hxn = sy > 1 ? 1 : sy < -1 ? -1 : sy;
    const hy = hb0 * hxn + hb1 * hx1 + hb2 * hx2 - ha1 * hy1 - ha2 * hy2;
    hx2 = hx1;
    hx1 = hxn;
    hy2 = hy1;
    hy1 = hy;
    const yn = hy > 1 ? 1 : hy < -1 ? -1 : hy;
    out[n] = yn * yn;
  }
  return out;
}

/** Mean square of each block (torch.square(x).unfold(-1, size, step).mean(-1)). */
function blockEnergies(squares: Float64Array, blockSize: number, step: number, blocks: number): Float64Array {
  // A running sum over `step`-sized hops would drift; summing each hop segment once and adding
  // the four segments of a block is exact enough and still O(n).
  const out = new Float64Array(blocks);
  if (blockSize % step === 0) {
    const hops = Math.floor(squares.length / step);
    const hopSum = new Float64Array(hops);
    for (let h = 0; h < hops; h++) {
      let s = 0;
      for (let i = h * step, end = i + step; i < end; i++) s += squares[i];
      hopSum[h] = s;
    }
    const perBlock = blockSize / step;
    for (let b = 0; b < blocks; b++) {
      let s = 0;
      for (let k = 0; k < perBlock; k++) s += hopSum[b + k];
      out[b] = s / blockSize;
    }
    return out;
  }
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    for (let i = b * step, end = i + blockSize; i < end; i++) s += squares[i];
    out[b] = s / blockSize;
  }
  return out;
}

/** Loudness of the channel-weighted mean energy over the blocks that pass `keep` (NaN if none). */
function gatedLoudness(energy: Float64Array[], blocks: number, keep: (b: number) => boolean): number {
  let kept = 0;
  const sums = new Float64Array(energy.length);
  for (let b = 0; b < blocks; b++) {
    if (!keep(b)) continue;
    kept++;
    for (let c = 0; c < energy.length; c++) sums[c] += energy[c][b];
  }
  if (kept === 0) return NaN;
  let weighted = 0;
  for (let c = 0; c < energy.length; c++) weighted += (CHANNEL_WEIGHTS[c] * sums[c]) / kept;
  return K_WEIGHT_OFFSET + 10 * Math.log10(weighted);
}
