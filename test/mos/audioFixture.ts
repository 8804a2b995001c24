import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeWav } from '../../src/audio/wavCodec.js';

/** Writes a WAV of summed sines (amplitude each) with a little noise, so loudness is defined. */
export function writeTone(path: string, opts: { sampleRate?: number; freqs?: number[]; amp?: number; seconds?: number; channels?: number } = {}): void {
  const { sampleRate = 32000, freqs = [440], amp = 0.2, seconds = 1, channels = 1 } = opts;
  const n = Math.round(sampleRate * seconds);
  const chans = Array.from({ length: channels }, () => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) for (const f of freqs) x[i] += amp * Math.sin((2 * Math.PI * f * i) / sampleRate);
    return x;
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeWav(chans, sampleRate, 'pcm16'));
}

/** Power of one frequency (Goertzel), for checking what a filter kept. */
export function tonePower(x: Float32Array, sampleRate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.length * x.length);
}
