import { resample } from '../audio/resample.js';
import { seededRandom } from './random.js';

/**
 * Band-limits audio at `sampleRate` to `cutoffHz` by resampling down to 2 x cutoff and back up
 * with the project's windowed-sinc resampler (its anti-aliasing filter is the low-pass). MUSHRA
 * (BS.1534-3) uses 3.5 kHz and 7 kHz low-pass anchors; the resampler's roll-off puts the -6 dB
 * point within 3 % below the nominal cutoff.
 */
export function lowPass(channels: readonly Float32Array[], sampleRate: number, cutoffHz: number): Float32Array[] {
  const low = Math.round(2 * cutoffHz);
  return channels.map((x) => {
    const back = resample(resample(x, sampleRate, low), low, sampleRate);
    // Down-and-up can lose a few samples to flooring; pad so the anchor keeps the clip's length.
    const out = new Float32Array(x.length);
    out.set(back.subarray(0, x.length));
    return out;
  });
}

/**
 * A trap stimulus: the clip band-limited to 1 kHz with loud white noise and 120 ms dropouts every
 * half second. Any attentive listener rates it near the bottom of the scale.
 */
export function trapVersion(channels: readonly Float32Array[], sampleRate: number, seed: number): Float32Array[] {
  const dull = lowPass(channels, sampleRate, 1000);
  const rand = seededRandom(seed);
  let energy = 0;
  for (const c of dull) for (const v of c) energy += v * v;
  const rms = Math.sqrt(energy / Math.max(1, dull.length * (dull[0]?.length ?? 0))) || 0.05;
  const period = Math.round(0.5 * sampleRate);
  const gap = Math.round(0.12 * sampleRate);
  return dull.map((c) => {
    const out = new Float32Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const noise = (rand() * 2 - 1) * rms * 1.7; // about 0 dB SNR
      out[i] = i % period < gap ? 0 : c[i] + noise;
    }
    return out;
  });
}
