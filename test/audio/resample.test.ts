import { describe, expect, it } from 'vitest';
import { convertAudio, convertChannels } from '../../src/audio/convertAudio.js';
import { JULIUS_RESAMPLE, resample } from '../../src/audio/resample.js';

function tone(hz: number, sampleRate: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * hz * i) / sampleRate));
}

/** Least-squares fit of a sinusoid at `hz` over the middle of `y`: its gain (dB) and the residual power (dB re a unit sine). */
function fitTone(y: Float32Array, hz: number, sampleRate: number): { gainDb: number; residualDb: number } {
  const a = 2000;
  const b = y.length - 2000;
  let ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
  for (let i = a; i < b; i++) {
    const s = Math.sin((2 * Math.PI * hz * i) / sampleRate);
    const c = Math.cos((2 * Math.PI * hz * i) / sampleRate);
    ss += s * s; sc += s * c; cc += c * c; ys += y[i] * s; yc += y[i] * c;
  }
  const det = ss * cc - sc * sc;
  const A = (ys * cc - yc * sc) / det;
  const B = (yc * ss - ys * sc) / det;
  let e = 0;
  for (let i = a; i < b; i++) {
    const r = y[i] - A * Math.sin((2 * Math.PI * hz * i) / sampleRate) - B * Math.cos((2 * Math.PI * hz * i) / sampleRate);
    e += r * r;
  }
  return { gainDb: 20 * Math.log10(Math.hypot(A, B)), residualDb: 10 * Math.log10(e / (b - a) / 0.5) };
}

function powerDb(y: Float32Array): number {
  let e = 0;
  for (let i = 2000; i < y.length - 2000; i++) e += y[i] * y[i];
  return 10 * Math.log10(e / (y.length - 4000) / 0.5);
}

for (const [from, to] of [[44100, 32000], [32000, 48000]] as const) {
  describe(`resample ${from} -> ${to} (swept sines)`, () => {
    const lowNyquist = Math.min(from, to) / 2;
    const length = Math.round(from * 0.5);

    it('output length is floor(to * len / from)', () => {
      for (const n of [0, 1, 441, 1000, 44101]) expect(resample(new Float32Array(n), from, to).length).toBe(Math.floor((to * n) / from));
    });

    it('passband ripple < 0.1 dB and spurious output < -60 dB below 0.9 of the lower Nyquist', () => {
      let ripple = 0;
      let spurious = -Infinity;
      const edge = 0.9 * lowNyquist;
      const sweep = [...Array.from({ length: Math.ceil((edge - 50) / 500) }, (_, k) => 50 + 500 * k), edge];
      for (const hz of sweep) {
        const fit = fitTone(resample(tone(hz, from, length), from, to), hz, to);
        ripple = Math.max(ripple, Math.abs(fit.gainDb));
        spurious = Math.max(spurious, fit.residualDb);
      }
      expect(ripple).toBeLessThan(0.1);
      expect(spurious).toBeLessThan(-60);
    });

    if (from > to) {
      it('tones that would alias into that band are below -60 dB', () => {
        let worst = -Infinity;
        // A tone above to - 0.9 * lowNyquist folds below 0.9 * lowNyquist.
        for (let hz = to - 0.9 * lowNyquist; hz < from / 2; hz += 400) {
          worst = Math.max(worst, powerDb(resample(tone(hz, from, length), from, to)));
        }
        expect(worst).toBeLessThan(-60);
      });
    }
  });
}

describe('resample edge behaviour', () => {
  it('keeps DC exactly (unit-gain kernels, replicated edges) and is the identity for equal rates', () => {
    const y = resample(new Float32Array(1000).fill(0.25), 44100, 32000);
    for (const v of y) expect(v).toBeCloseTo(0.25, 6);
    const x = tone(100, 32000, 100);
    expect(Array.from(resample(x, 32000, 32000))).toEqual(Array.from(x));
  });

  it("julius' own kernel (24 zeros, rolloff 0.945) is available and rolls off at 0.9 Nyquist", () => {
    const fit = fitTone(resample(tone(14400, 44100, 22050), 44100, 32000, JULIUS_RESAMPLE), 14400, 32000);
    expect(fit.gainDb).toBeLessThan(-0.3);
    expect(fit.gainDb).toBeGreaterThan(-1);
  });

  it('rejects non-integer rates', () => {
    expect(() => resample(new Float32Array(10), 44100.5, 32000)).toThrow(/positive integer/);
  });
});

describe('convertAudio (AudioCraft convert_audio)', () => {
  const left = Float32Array.from([1, 2, 3, 4]);
  const right = Float32Array.from([3, 2, 1, 0]);

  it('downmixes by the mean, duplicates mono, keeps the first channels, refuses an upmix', () => {
    expect(Array.from(convertChannels([left, right], 1)[0])).toEqual([2, 2, 2, 2]);
    const stereo = convertChannels([left], 2);
    expect(stereo.length).toBe(2);
    expect(Array.from(stereo[1])).toEqual([1, 2, 3, 4]);
    expect(convertChannels([left, right, left], 2)[1]).toBe(right);
    expect(() => convertChannels([left, right], 3)).toThrow(/fewer channels/);
  });

  it('resamples every channel to the target rate', () => {
    const out = convertAudio([tone(440, 44100, 44100), tone(880, 44100, 44100)], 44100, 32000, 2);
    expect(out.map((c) => c.length)).toEqual([32000, 32000]);
    expect(fitTone(out[1], 880, 32000).gainDb).toBeCloseTo(0, 1);
    expect(convertAudio([left, right], 32000, 32000, 1)[0].length).toBe(4);
  });
});
