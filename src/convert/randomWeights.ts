import { mulberry32 } from '../mulberry32.js';
import type { Tensor, WeightSource } from './weights.js';

/** 32-bit FNV-1a of a string, to derive one independent stream per tensor name. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fillNormal(out: Float32Array, rand: () => number, mean: number, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = rand() || 1e-12;
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
}

function fillUniform(out: Float32Array, rand: () => number, lo: number, hi: number): void {
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rand();
}

/**
 * MusicGen's sinusoidal position table: cat([cos(p f), sin(p f)]) with
 * f_i = exp(-i ln(10000) / (d/2 - 1)), exactly what HF saves as embed_positions.weights.
 */
export function sinusoidalPositions(numPositions: number, dim: number): Float32Array {
  const half = dim / 2;
  const scale = Math.log(10000) / (half - 1);
  const out = new Float32Array(numPositions * dim);
  for (let p = 0; p < numPositions; p++) {
    for (let i = 0; i < half; i++) {
      // torch computes exp(arange * -scale) and p * f in float32.
      const f = Math.fround(Math.exp(Math.fround(i * -Math.fround(scale))));
      const a = Math.fround(p * f);
      out[p * dim + i] = Math.cos(a);
      out[p * dim + half + i] = Math.sin(a);
    }
  }
  return out;
}

/**
 * Seeded random weights for any MusicGen config: each tensor is drawn from its own stream
 * (seed, name), so a tensor's values do not depend on the order of reads. The initialisation
 * follows the rules of the reference fixtures (see test/fixtures/hf-reference/README.md) so that
 * activations stay of order one through deep stacks.
 */
export class RandomWeights implements WeightSource {
  constructor(
    readonly seed: number,
    readonly origin: string = `random weights (seed ${seed})`,
  ) {}

  has(name: string): boolean {
    // Alias spellings must not be generated separately from their canonical tensor.
    return name !== 'text_encoder.encoder.embed_tokens.weight' && !name.includes('.parametrizations.');
  }

  read(name: string, shape: number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('embed_positions.weights')) {
      return { data: sinusoidalPositions(shape[0], shape[1]), shape };
    }
    const data = new Float32Array(n);
    const rand = mulberry32(fnv1a(`${this.seed}:${name}`));
    const leaf = name.split('.').pop() ?? '';
    if (/layer_norm|layernorm/i.test(name) && leaf === 'weight') fillNormal(data, rand, 1, 0.1);
    else if (leaf === 'bias' || leaf.startsWith('bias_')) fillNormal(data, rand, 0, 0.1);
    else if (leaf === 'weight_g') fillUniform(data, rand, 0.5, 1.5);
    else if (leaf === 'weight_v') fillNormal(data, rand, 0, 1);
    else if (leaf.startsWith('weight_ih') || leaf.startsWith('weight_hh')) {
      const h = 1 / Math.sqrt(shape[1]);
      fillUniform(data, rand, -h, h);
    } else if (/embed_tokens|shared|relative_attention_bias|codebook\.embed/.test(name)) fillNormal(data, rand, 0, 1);
    else if (shape.length === 2) fillNormal(data, rand, 0, 1 / Math.sqrt(shape[1]));
    else fillNormal(data, rand, 0, 0.1);
    return { data, shape };
  }
}
