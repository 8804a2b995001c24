import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/inference/rng.js';
import { argmax, kthLargest, SamplingError, TokenSampler, type SamplingParams } from '../../src/inference/sampling.js';
import { chiSquareTest } from './chiSquare.js';

const DRAWS = 20_000;

function logitsOf(weights: number[]): Float32Array {
  return Float32Array.from(weights, (w) => (w > 0 ? Math.log(w) : -Infinity));
}

function normalise(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

const sampled = (p: Partial<SamplingParams>): SamplingParams => ({
  useSampling: true,
  topK: 0,
  topP: 0,
  temperature: 1,
  ...p,
});

function draw(logits: Float32Array, params: SamplingParams, seed: number, n = DRAWS): number[] {
  const sampler = new TokenSampler(logits.length);
  const rng = new Rng(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.sample(logits, params, rng)]++;
  return counts;
}

interface Case {
  name: string;
  weights: number[];
  params: SamplingParams;
  /** hand-computed target distribution */
  target: number[];
}

const cases: Case[] = [
  {
    name: 'full softmax',
    weights: [0.4, 0.25, 0.15, 0.1, 0.06, 0.04],
    params: sampled({}),
    target: [0.4, 0.25, 0.15, 0.1, 0.06, 0.04],
  },
  {
    name: 'full softmax, temperature 2 (probabilities ~ sqrt(w))',
    weights: [0.64, 0.16, 0.09, 0.04, 0.04, 0.03],
    params: sampled({ temperature: 2 }),
    target: normalise([0.8, 0.4, 0.3, 0.2, 0.2, Math.sqrt(0.03)]),
  },
  {
    name: 'top-k 2 without ties',
    weights: [0.1, 0.3, 0.05, 0.2, 0.15, 0.2 - 1e-3],
    params: sampled({ topK: 2 }),
    target: [0, 0.6, 0, 0.4, 0, 0],
  },
  {
    name: 'top-k 3 keeps all three tokens tied with the 3rd value',
    weights: [0.3, 0.2, 0.15, 0.15, 0.15, 0.05],
    params: sampled({ topK: 3 }),
    target: normalise([0.3, 0.2, 0.15, 0.15, 0.15, 0]),
  },
  {
    name: 'top-k 4 with temperature 0.5 (probabilities ~ w^2)',
    weights: [0.4, 0.3, 0.1, 0.1, 0.05, 0.05],
    params: sampled({ topK: 4, temperature: 0.5 }),
    target: normalise([0.16, 0.09, 0.01, 0.01, 0, 0]),
  },
  {
    name: 'top-k >= vocabulary keeps everything',
    weights: [0.5, 0.3, 0.2],
    params: sampled({ topK: 250 }),
    target: [0.5, 0.3, 0.2],
  },
  {
    name: 'top-p boundary: mass before the 3rd token equals p = 0.7 -> kept',
    weights: [0.4, 0.3, 0.2, 0.1],
    params: sampled({ topP: 0.7 }),
    target: [4 / 9, 3 / 9, 2 / 9, 0],
  },
  {
    name: 'top-p just below the boundary (p = 0.69) drops the 3rd token',
    weights: [0.4, 0.3, 0.2, 0.1],
    params: sampled({ topP: 0.69 }),
    target: [4 / 7, 3 / 7, 0, 0],
  },
  {
    name: 'top-p exact boundary with equal probabilities (0.25 x 4, p = 0.5): lowest ids first',
    weights: [0.25, 0.25, 0.25, 0.25],
    params: sampled({ topP: 0.5 }),
    target: [1 / 3, 1 / 3, 1 / 3, 0],
  },
  {
    name: 'top-p ties at the boundary are kept in id order (0.4, 0.2 x 3, p = 0.5)',
    weights: [0.2, 0.4, 0.2, 0.2],
    params: sampled({ topP: 0.5 }),
    target: [1 / 3, 2 / 3, 0, 0],
  },
  {
    name: 'top-p takes precedence over top-k',
    weights: [0.4, 0.3, 0.2, 0.1],
    params: sampled({ topP: 0.7, topK: 1 }),
    target: [4 / 9, 3 / 9, 2 / 9, 0],
  },
  {
    name: 'top-p 1 keeps everything',
    weights: [0.4, 0.3, 0.2, 0.1],
    params: sampled({ topP: 1 }),
    target: [0.4, 0.3, 0.2, 0.1],
  },
  {
    name: '-inf logits are never drawn',
    weights: [0.5, 0, 0.3, 0, 0.2],
    params: sampled({}),
    target: [0.5, 0, 0.3, 0, 0.2],
  },
];

describe('TokenSampler draws match the target distributions (20 000 seeded draws, chi-square p > 0.001)', () => {
  cases.forEach((c, i) => {
    it(c.name, () => {
      const logits = logitsOf(c.weights);
      const counts = draw(logits, c.params, 1000 + i);
      const test = chiSquareTest(counts, c.target);
      expect(test.outsideSupport).toBe(0);
      expect(test.pValue).toBeGreaterThan(0.001);
      // distribution() exposes the same filtered target
      const dist = new TokenSampler(logits.length).distribution(logits, c.params);
      for (let t = 0; t < c.target.length; t++) expect(dist[t]).toBeCloseTo(c.target[t], 6);
    });
  });

  it('top-p where the top token alone exceeds p always returns it', () => {
    const counts = draw(logitsOf([0.1, 0.9]), sampled({ topP: 0.5 }), 7, 2000);
    expect(counts).toEqual([0, 2000]);
  });
});

/** Test-local reference for the 2048-entry cases: full sort, then AudioCraft's rules. */
function referenceTarget(logits: Float32Array, params: SamplingParams): number[] {
  const max = Math.max(...logits);
  const e = Array.from(logits, (l) => Math.exp((l - max) / params.temperature));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / s);
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const keep = new Array<boolean>(p.length).fill(false);
  if (params.topP > 0) {
    let before = 0;
    for (const i of order) {
      if (before > params.topP) break;
      keep[i] = true;
      before += p[i];
    }
  } else {
    const kth = p[order[params.topK - 1]];
    p.forEach((x, i) => (keep[i] = x >= kth));
  }
  return normalise(p.map((x, i) => (keep[i] ? x : 0)));
}

describe('vocabulary 2048 (real MusicGen size)', () => {
  // logits of order a few units, like a real decoder's
  const gen = new Rng(31337);
  const logits = Float32Array.from({ length: 2048 }, () => {
    const u1 = gen.nextFloat() || 1e-12;
    const u2 = gen.nextFloat();
    return 2.5 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });

  for (const params of [
    sampled({ topK: 250 }),
    sampled({ topK: 20, temperature: 0.7 }),
    sampled({ topP: 0.9 }),
    sampled({ topP: 0.5, temperature: 1.3 }),
  ]) {
    it(`topK ${params.topK} topP ${params.topP} temperature ${params.temperature}`, () => {
      const target = referenceTarget(logits, params);
      const counts = draw(logits, params, 4242);
      const test = chiSquareTest(counts, target);
      expect(test.outsideSupport).toBe(0);
      expect(test.pValue).toBeGreaterThan(0.001);
    });
  }
});

describe('greedy and determinism', () => {
  it('useSampling false or temperature 0 -> argmax, first maximum wins, no random draw', () => {
    const logits = Float32Array.from([1, 3, 3, 2]);
    const sampler = new TokenSampler(4);
    const rng = new Rng(5);
    const before = rng.getState();
    expect(sampler.sample(logits, sampled({ useSampling: false }), rng)).toBe(1);
    expect(sampler.sample(logits, sampled({ temperature: 0, topK: 250 }), rng)).toBe(1);
    expect(rng.getState()).toEqual(before);
    expect(Array.from(sampler.distribution(logits, sampled({ useSampling: false })))).toEqual([0, 1, 0, 0]);
  });

  it('argmax handles offsets into a [rows, vocab] buffer', () => {
    const buf = Float32Array.from([0, 9, 1, /* row 1 */ 5, 5, 7, /* row 2 */ -1, -2, -3]);
    expect(argmax(buf, 0, 3)).toBe(1);
    expect(argmax(buf, 3, 3)).toBe(2);
    expect(argmax(buf, 6, 3)).toBe(0);
    const sampler = new TokenSampler(3);
    expect(sampler.sample(buf, sampled({ useSampling: false }), new Rng(0), 3)).toBe(2);
    // a sampled row at an offset only ever picks that row's support
    const rows = Float32Array.from([0, -Infinity, -Infinity, /* row 1 */ -Infinity, -Infinity, 0]);
    expect(sampler.sample(rows, sampled({}), new Rng(0), 3)).toBe(2);
  });

  it('same seed -> identical tokens; another seed -> different tokens', () => {
    const logits = logitsOf([0.2, 0.2, 0.2, 0.2, 0.1, 0.1]);
    const run = (seed: number): number[] => {
      const sampler = new TokenSampler(6);
      const rng = new Rng(seed);
      return Array.from({ length: 500 }, () => sampler.sample(logits, sampled({ topK: 5 }), rng));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('rejects rows with NaN or without a finite maximum', () => {
    const sampler = new TokenSampler(3);
    expect(() => sampler.sample(Float32Array.from([0, NaN, 1]), sampled({}), new Rng(0))).toThrow(SamplingError);
    expect(() => sampler.sample(Float32Array.from([-Infinity, -Infinity, -Infinity]), sampled({}), new Rng(0))).toThrow(
      /no finite maximum/,
    );
  });
});

describe('kthLargest', () => {
  it('finds the k-th largest with many ties', () => {
    const values = [5, 1, 5, 3, 3, 3, 9, 0, 5, 5];
    const sorted = [...values].sort((a, b) => b - a);
    for (let k = 1; k <= values.length; k++) {
      expect(kthLargest(Float64Array.from(values), k)).toBe(sorted[k - 1]);
    }
    expect(kthLargest(new Float64Array(100).fill(2), 37)).toBe(2);
  });
});
