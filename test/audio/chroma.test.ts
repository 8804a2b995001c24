import { describe, expect, it } from 'vitest';
import { extractChroma, fitChromaLength, rawChroma, MELODY_CHROMA_LENGTH } from '../../src/audio/chroma.js';
import { chromaFilterBank } from '../../src/audio/chromaFilterBank.js';
import { audioChromaMatchRate, chromaMatchRate } from '../../src/audio/chromaMatchRate.js';
import { resample } from '../../src/audio/resample.js';
import { fixtureF32, relL2 } from '../helpers/fixtures.js';

function argmaxOf(frame: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < frame.length; c++) if (frame[c] > frame[best]) best = c;
  return best;
}

describe('chroma filter bank (transformers.audio_utils.chroma_filter_bank)', () => {
  it('matches the reference within 1e-4 relative L2, rows in C..B order', () => {
    const ref = fixtureF32('dsp', 'chroma.filterbank');
    expect(ref.shape).toEqual([12, 8193]);
    const fb = chromaFilterBank(32000, 16384);
    const flat = new Float64Array(12 * 8193);
    fb.forEach((row, c) => flat.set(row, c * 8193));
    expect(relL2(flat, ref.data)).toBeLessThan(1e-4);
  });
});

for (const name of ['arpeggio_32k', 'bach_32k']) {
  describe(`chroma of ${name} (AudioCraft ChromaExtractor / HF feature extractor references)`, () => {
    const pcm = fixtureF32('dsp', `${name}.pcm`).data;

    it('raw chroma within 1e-4 relative L2', () => {
      const ref = fixtureF32('dsp', `${name}.chroma_raw`); // (1, 12, frames)
      const frames = ref.shape[2];
      const ours = rawChroma(pcm, 32000);
      expect(ours.length).toBe(frames);
      const transposed = new Float64Array(12 * frames);
      ours.forEach((f, t) => f.forEach((v, c) => (transposed[c * frames + t] = v)));
      expect(relL2(transposed, ref.data)).toBeLessThan(1e-4);
    });

    it('inf-normalised chroma within 1e-4 relative L2', () => {
      const ref = fixtureF32('dsp', `${name}.chroma_norm`); // (1, frames, 12)
      const ours = extractChroma(pcm, 32000, { argmax: false });
      const flat = new Float64Array(ours.length * 12);
      ours.forEach((f, t) => flat.set(f, t * 12));
      expect(relL2(flat, ref.data)).toBeLessThan(1e-4);
    });

    for (const refName of ['chroma_argmax', 'hf_input_features']) {
      it(`one-hot frames identical to ${refName} on >= 99 % of frames`, () => {
        const ref = fixtureF32('dsp', `${name}.${refName}`); // (1, frames, 12)
        const frames = ref.shape[1];
        const ours = extractChroma(pcm, 32000);
        expect(ours.length).toBe(frames);
        let same = 0;
        for (let t = 0; t < frames; t++) {
          const r = ref.data.subarray(t * 12, t * 12 + 12);
          if (ours[t].every((v, c) => v === r[c])) same++;
        }
        expect(same / frames).toBeGreaterThanOrEqual(0.99);
        // The metric on the same data: one-hot cosine = fraction of matching frames.
        const refFrames = Array.from({ length: frames }, (_, t) => ref.data.slice(t * 12, t * 12 + 12));
        expect(chromaMatchRate(refFrames, ours)).toBeCloseTo(same / frames, 12);
      });
    }
  });
}

describe('chroma length and edge cases', () => {
  const pcm = fixtureF32('dsp', 'arpeggio_32k.pcm').data;

  it('3 s of arpeggio tiles to 235 frames by repeating from the start; 30 s gives exactly 235', () => {
    const natural = extractChroma(pcm, 32000);
    const tiled = extractChroma(pcm, 32000, { chromaLength: MELODY_CHROMA_LENGTH });
    expect(tiled.length).toBe(235);
    for (let t = 0; t < 235; t++) expect(Array.from(tiled[t])).toEqual(Array.from(natural[t % natural.length]));
    expect(rawChroma(new Float32Array(960000), 32000).length).toBe(235);
    expect(fitChromaLength(natural, 5).length).toBe(5);
  });

  it('the arpeggio walks C, E, G, C (pitch classes 0, 4, 7, 0) at 0.75 s per note', () => {
    const chroma = extractChroma(pcm, 32000);
    // Frame t is centred at t * 128 ms; take frames well inside each note.
    const at = (seconds: number): number => argmaxOf(chroma[Math.round((seconds * 32000) / 4096)]);
    expect([at(0.375), at(1.125), at(1.875), at(2.625)]).toEqual([0, 4, 7, 0]);
  });

  it('silence gives C frames; input shorter than one FFT is padded to one frame of 16384', () => {
    expect(extractChroma(new Float32Array(100), 32000).map(argmaxOf)).toEqual([0, 0, 0, 0, 0]);
    expect(() => extractChroma(new Float32Array(0), 32000)).toThrow(/empty/);
  });

  it('other sample rates are resampled to 32 kHz first (bach via 48 kHz keeps >= 99 % of frames)', () => {
    const bach = fixtureF32('dsp', 'bach_32k.pcm').data;
    const ref = fixtureF32('dsp', 'bach_32k.chroma_argmax');
    const via48k = extractChroma(resample(bach, 32000, 48000), 48000);
    expect(via48k.length).toBe(ref.shape[1]);
    const same = via48k.filter((f, t) => argmaxOf(f) === argmaxOf(ref.data.subarray(t * 12, t * 12 + 12))).length;
    expect(same / via48k.length).toBeGreaterThanOrEqual(0.99);
  });

  it('match rate counts matching one-hot frames and compares the common length', () => {
    const a = [0, 4, 7, 0].map((c) => Float32Array.from({ length: 12 }, (_, i) => (i === c ? 1 : 0)));
    const b = [0, 4, 9, 2, 5].map((c) => Float32Array.from({ length: 12 }, (_, i) => (i === c ? 1 : 0)));
    expect(chromaMatchRate(a, b)).toBeCloseTo(0.5, 12);
  });
});

describe('audioChromaMatchRate (AudioCraft ChromaCosineSimilarityMetric for one pair)', () => {
  const arpeggio = fixtureF32('dsp', 'arpeggio_32k.pcm').data;

  it('is 1 for the same melody, also at 48 kHz in stereo, and counts ceil(size / 4096) frames', () => {
    expect(audioChromaMatchRate([arpeggio], [arpeggio], 32000)).toEqual({ rate: 1, frames: Math.ceil(96000 / 4096) });
    const at48k = resample(arpeggio, 32000, 48000);
    expect(audioChromaMatchRate([at48k, at48k], [at48k], 48000).rate).toBe(1);
  });

  it('is the share of frames whose pitch class agrees: the arpeggio against itself shifted by one note', () => {
    // C E G C vs E G C C: notes 1-3 disagree, the last agrees; frames at note boundaries blur.
    const shifted = new Float32Array(arpeggio.length);
    shifted.set(arpeggio.subarray(24000));
    shifted.set(arpeggio.subarray(72000), 72000);
    const { rate, frames } = audioChromaMatchRate([arpeggio], [shifted], 32000);
    expect(frames).toBe(24);
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.4);
  });
});
