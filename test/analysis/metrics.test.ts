import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxAudioEmbedder } from '../../src/analysis/metrics/onnxAudioEmbedder.js';
import { OnnxGraph } from '../../src/convert/graph.js';
import { writeOnnxModel } from '../../src/convert/serialize.js';
import { audioChromaMatchRate } from '../../src/audio/chromaMatchRate.js';
import { codebookTokenStatistics, tokenStatistics } from '../../src/analysis/metrics/tokenStatistics.js';
import { spectralShape } from '../../src/analysis/metrics/spectralShape.js';
import { melodyChromaMatch, sampleMetrics } from '../../src/analysis/metrics/sampleMetrics.js';
import { frechetAudioDistance, frechetDistance, gaussianStatistics } from '../../src/analysis/metrics/frechetDistance.js';
import { ClapScoreMetric, cosineSimilarity, type TextAudioEmbedder } from '../../src/analysis/metrics/embeddingMetrics.js';
import { meanWithInterval } from '../../src/stats/meanInterval.js';
import { studentTQuantile } from '../../src/stats/distributions.js';
import { Rng } from '../../src/inference/rng.js';

const SR = 32000;

function sine(freq: number, seconds: number, sr = SR, amp = 0.5): Float32Array {
  const x = new Float32Array(Math.round(seconds * sr));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / sr);
  return x;
}

/** A melody: one pitch class per 0.5 s (C4, E4, G4, A4), so chroma frames differ. */
function melody(seconds: number): Float32Array {
  const notes = [261.63, 329.63, 392.0, 440.0];
  const x = new Float32Array(Math.round(seconds * SR));
  for (let i = 0; i < x.length; i++) {
    const f = notes[Math.floor(i / (SR / 2)) % notes.length];
    x[i] = 0.4 * Math.sin((2 * Math.PI * f * i) / SR);
  }
  return x;
}

/** Standard normal draws (Box-Muller) from a seeded stream. */
function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

describe('token statistics', () => {
  it('a uniform stream over the vocabulary has log2(vocab) bits and every token distinct once', () => {
    const vocab = 2048;
    const once = Int32Array.from({ length: vocab }, (_, i) => i);
    expect(codebookTokenStatistics(once, vocab).entropyBits).toBeCloseTo(Math.log2(vocab), 10);
    expect(codebookTokenStatistics(once, vocab).distinctRatio).toBe(1);
    const twice = Int32Array.from({ length: 2 * vocab }, (_, i) => i % vocab);
    expect(codebookTokenStatistics(twice, vocab).entropyBits).toBeCloseTo(11, 10);
    expect(codebookTokenStatistics(twice, vocab).distinctRatio).toBe(0.5);
  });

  it('a constant stream has 0 bits and a distinct ratio of 1/n; special ids are not counted', () => {
    const s = codebookTokenStatistics([7, 7, 7, 7, 2048], 2048);
    expect(s.entropyBits).toBe(0);
    expect(s.distinctRatio).toBe(0.25);
    expect(tokenStatistics([[0, 1], [5, 5]], 2048).map((x) => x.entropyBits)).toEqual([1, 0]);
    expect(() => codebookTokenStatistics([2048], 2048)).toThrow(/at least one token/);
  });
});

describe('spectral shape', () => {
  it('the centroid of a pure sine is its frequency, and its flatness is near 0', () => {
    for (const f of [1000, 440, 3000]) {
      const s = spectralShape([sine(f, 0.5)], SR);
      expect(Math.abs(s.centroidHz - f) / f, `${f} Hz`).toBeLessThan(0.01);
      expect(s.flatness).toBeLessThan(0.01);
    }
  });

  it('white noise is flat (about 0.56 for a Hann-windowed power spectrum) with a centroid near sr/4', () => {
    const rng = new Rng(3);
    const noise = Float32Array.from({ length: SR }, () => gaussian(() => rng.nextFloat()) * 0.1);
    const s = spectralShape([noise], SR);
    expect(s.flatness).toBeGreaterThan(0.4);
    expect(Math.abs(s.centroidHz - SR / 4) / (SR / 4)).toBeLessThan(0.05);
  });

  it('silence has no spectral shape (NaN, not 0)', () => {
    expect(Number.isNaN(spectralShape([new Float32Array(4000)], SR).centroidHz)).toBe(true);
  });
});

describe('chroma match rate', () => {
  it('audio against itself matches on every frame (1), against another melody less', () => {
    const m = melody(3);
    expect(audioChromaMatchRate([m], [m], SR).rate).toBe(1);
    expect(melodyChromaMatch({ channels: [m], sampleRate: SR }, [m], SR)).toBe(1);
    const other = sine(311.13, 3); // D#: never one of the melody's pitch classes
    expect(melodyChromaMatch({ channels: [m], sampleRate: SR }, [other], SR)).toBeLessThan(0.3);
  });

  it('sampleMetrics: null chroma without a melody, null loudness for audio shorter than one 400 ms block', () => {
    const x = sine(440, 0.3);
    const m = sampleMetrics({ codes: [[1, 2, 3]], vocabSize: 2048, audio: [x], sampleRate: SR });
    expect(m.chromaMatchRate).toBeNull();
    expect(m.loudnessLufs).toBeNull();
    expect(m.entropyBits).toBeCloseTo(Math.log2(3), 10);
    expect(m.spectralCentroidHz).toBeCloseTo(440, -1);
  });
});

describe('embedding metrics', () => {
  it('Fréchet distance of two Gaussians with known statistics', () => {
    // N(0, I) vs N(mu, 4 I) in d dims: |mu|^2 + d (1 + 4 - 2 * 2) = |mu|^2 + d.
    const d = 3;
    const eye = (s: number): number[][] => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? s : 0)));
    const a = { mean: [0, 0, 0], covariance: eye(1) };
    const b = { mean: [1, 2, 2], covariance: eye(4) };
    expect(frechetDistance(a, b)).toBeCloseTo(9 + d, 8);
    expect(frechetDistance(a, a)).toBeCloseTo(0, 8);
    // Singular covariances take pytorch-fid's offset path instead of throwing.
    const singular = { mean: [0, 0, 0], covariance: [[1, 0, 0], [0, 0, 0], [0, 0, 0]] };
    expect(frechetDistance(singular, singular)).toBeCloseTo(0, 2);
  });

  it('FAD of sampled Gaussian embeddings approaches the analytic value', () => {
    const rng = new Rng(11);
    const draw = (): number => gaussian(() => rng.nextFloat());
    const d = 4;
    const n = 4000;
    const mu = [0.5, -1, 0, 1];
    const gen = Array.from({ length: n }, () => Float32Array.from({ length: d }, () => draw()));
    const ref = Array.from({ length: n }, () => Float32Array.from({ length: d }, (_, j) => mu[j] + 2 * draw()));
    const expected = mu.reduce((a, m) => a + m * m, 0) + d; // 2.25 + 4
    expect(Math.abs(frechetAudioDistance(gen, ref) - expected) / expected).toBeLessThan(0.05);
    const stats = gaussianStatistics(gen);
    expect(stats.covariance[0][0]).toBeCloseTo(1, 1);
  });

  it('CLAP score is the cosine of the text and audio embeddings, text embedded once per prompt', async () => {
    let textCalls = 0;
    const model: TextAudioEmbedder = {
      name: 'fake',
      embedText: async () => {
        textCalls++;
        return Float32Array.from([1, 0]);
      },
      embedAudio: async (channels) => Float32Array.from([channels[0][0], channels[0][1]]),
    };
    const metric = new ClapScoreMetric(model);
    expect(metric.name).toBe('clapScore_fake');
    const sample = (a: number, b: number) => ({ sampleId: 'x', prompt: 'p', audio: [Float32Array.from([a, b])], sampleRate: SR });
    expect(await metric.measure(sample(1, 0))).toBeCloseTo(1, 12);
    expect(await metric.measure(sample(1, 1))).toBeCloseTo(Math.SQRT1_2, 12);
    expect(await metric.measure({ ...sample(1, 1), prompt: null })).toBeNull();
    expect(textCalls).toBe(1);
    expect(cosineSimilarity([1, 2], [-1, -2])).toBeCloseTo(-1, 12);
  });
});

describe('summary statistics', () => {
  it('t quantiles and the t-based 95 % interval', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 5);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 4);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962339, 5);
    const s = meanWithInterval([1, 2, 3, 4, null, Number.NaN]);
    expect(s.n).toBe(4);
    expect(s.mean).toBe(2.5);
    // sd = 1.290994, t(0.975, 3) = 3.182446 -> 2.054260
    expect(s.ci95).toBeCloseTo(2.05426, 5);
    expect(Number.isNaN(meanWithInterval([5]).ci95)).toBe(true);
  });
});

describe('ONNX embedding models', () => {
  it('OnnxAudioEmbedder feeds a user graph the mono waveform at its rate and averages frames', async () => {
    // A stand-in "embedding model": audio [1, N] -> [1, 2, 2] frames whose mean is [mean, mean of squares].
    const g = new OnnxGraph('embed');
    const audio = g.input('audio', 'float32', [1, 'n']);
    const mean = g.reduceMean(audio, [1]);
    const power = g.reduceMean(g.mul(audio, audio), [1]);
    const frame = g.node('Concat', [mean, power], { axis: { kind: 'int', value: 1 } });
    const frames = g.node('Concat', [g.node('Unsqueeze', [frame, g.constI64([1])]), g.node('Unsqueeze', [frame, g.constI64([1])])], {
      axis: { kind: 'int', value: 1 },
    });
    g.output(frames, 'embedding', 'float32', [1, 2, 2]);
    const path = join(mkdtempSync(join(tmpdir(), 'embedder-')), 'embed.onnx');
    writeOnnxModel(path, g);
    const embedder = await OnnxAudioEmbedder.load(path, { name: 'stats', sampleRate: 16000 });
    // A stereo DC signal at 32 kHz: mono mix 0.5 everywhere (resampling keeps DC).
    const left = new Float32Array(32000).fill(0.25);
    const right = new Float32Array(32000).fill(0.75);
    const e = await embedder.embedAudio([left, right], 32000);
    expect(e).toHaveLength(2);
    expect(e[0]).toBeCloseTo(0.5, 2);
    expect(e[1]).toBeCloseTo(0.25, 2);
    await embedder.dispose();
    await expect(OnnxAudioEmbedder.load(path, { name: 'x', sampleRate: 16000, inputName: 'wave' })).rejects.toThrow(/has no input "wave"; inputs: audio/);
  });
});
