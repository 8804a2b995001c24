import { describe, expect, it } from 'vitest';
import { loudness } from '../../src/audio/loudness.js';
import { normalizeAudio } from '../../src/audio/normalize.js';
import { fixtureF32 } from '../helpers/fixtures.js';

const bach = fixtureF32('dsp', 'bach_32k.pcm').data; // -26.4 LUFS, peak -13.7 dBFS
const stereo = [bach, Float32Array.from(bach, (v, i) => 0.5 * v + 0.1 * Math.sin(i / 50))];

const peakOf = (chs: Float32Array[]): number => Math.max(...chs.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
const db = (x: number): number => 20 * Math.log10(x);

function monoRms(chs: Float32Array[]): number {
  let s = 0;
  for (let i = 0; i < chs[0].length; i++) {
    const m = chs.reduce((a, c) => a + c[i], 0) / chs.length;
    s += m * m;
  }
  return Math.sqrt(s / chs[0].length);
}

describe('normalizeAudio (AudioCraft normalize_audio)', () => {
  it('peak: max |x| at -1 dBFS, scaling up or down; with normalize=false only down', () => {
    expect(db(peakOf(normalizeAudio(stereo, 32000)))).toBeCloseTo(-1, 5);
    const loud = [Float32Array.from(bach, (v) => v * 20)];
    expect(db(peakOf(normalizeAudio(loud, 32000, { strategy: 'peak', peakClipHeadroomDb: 3 })))).toBeCloseTo(-3, 5);
    const quiet = normalizeAudio([bach], 32000, { strategy: 'peak', normalize: false });
    expect(Array.from(quiet[0])).toEqual(Array.from(bach));
  });

  it('clip: clamps at -1 dBFS and leaves the rest', () => {
    const x = Float32Array.from([0.5, 0.95, -2, 0.1]);
    const [y] = normalizeAudio([x], 32000, { strategy: 'clip' });
    const s = 10 ** (-1 / 20);
    expect(Array.from(y)).toEqual(Array.from(Float32Array.from([0.5, s, -s, 0.1])));
  });

  it('rms: RMS of the channel mean at -18 dB', () => {
    expect(db(monoRms(normalizeAudio(stereo, 32000, { strategy: 'rms' })))).toBeCloseTo(-18, 4);
    expect(db(monoRms(normalizeAudio([bach], 32000, { strategy: 'rms', rmsHeadroomDb: 24 })))).toBeCloseTo(-24, 4);
  });

  it('loudness: -14 LUFS within 0.1 LU (mono and stereo), and a custom target', () => {
    for (const chs of [[bach], stereo]) {
      expect(Math.abs(loudness(normalizeAudio(chs, 32000, { strategy: 'loudness' }), 32000) + 14)).toBeLessThan(0.1);
    }
    expect(Math.abs(loudness(normalizeAudio([bach], 32000, { strategy: 'loudness', loudnessHeadroomDb: 20 }), 32000) + 20)).toBeLessThan(0.1);
  });

  it('loudness compressor soft-clips with tanh and never exceeds full scale', () => {
    const hot = [Float32Array.from(bach, (v) => v * 8)];
    const [y] = normalizeAudio(hot, 32000, { strategy: 'loudness', loudnessHeadroomDb: 3, loudnessCompressor: true });
    expect(peakOf([y])).toBeLessThan(1);
    const gain = 10 ** ((-3 - loudness(hot, 32000)) / 20);
    expect(y[1000]).toBeCloseTo(Math.tanh(hot[0][1000] * gain), 5);
  });

  it('leaves silence untouched: loudness below RMS 2e-3, and digital silence under every strategy', () => {
    const faint = Float32Array.from({ length: 32000 }, (_, i) => 1.5e-3 * Math.sin(i / 7) * Math.SQRT2);
    const [y] = normalizeAudio([faint], 32000, { strategy: 'loudness' });
    expect(Array.from(y)).toEqual(Array.from(faint));
    const zeros = new Float32Array(32000);
    for (const strategy of ['peak', 'clip', 'rms', 'loudness', 'none'] as const) {
      const [z] = normalizeAudio([zeros], 32000, { strategy });
      expect(z.every((v) => v === 0)).toBe(true);
    }
  });

  it('does not modify its input and rejects unknown strategies', () => {
    const before = Array.from(stereo[1].subarray(0, 100));
    normalizeAudio(stereo, 32000, { strategy: 'loudness' });
    expect(Array.from(stereo[1].subarray(0, 100))).toEqual(before);
    // @ts-expect-error: not a strategy
    expect(() => normalizeAudio(stereo, 32000, { strategy: 'lufs' })).toThrow(/unknown normalisation strategy 'lufs'/);
  });
});
