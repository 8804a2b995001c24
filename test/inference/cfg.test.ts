import { describe, expect, it } from 'vitest';
import {
  applyClassifierFreeGuidance,
  applyGuidance,
  cfgCoefPerRow,
  GuidanceError,
} from '../../src/inference/cfg.js';
import { argmax } from '../../src/inference/sampling.js';
import { fixtureF32, fixtureI64, type FixtureModel } from '../helpers/fixtures.js';

const runs: Array<[FixtureModel, string]> = [
  ['musicgen-tiny', 'gen_cfg3'],
  ['musicgen-stereo-tiny', 'gen_cfg3'],
  ['musicgen-melody-tiny', 'gen_cfg3'],
  ['musicgen-melody-tiny', 'gen_text_cfg3'],
  ['musicgen-tiny', 'cont_cfg3'],
];

describe('classifier-free guidance reproduces HF scores from the per-step logits', () => {
  for (const [model, run] of runs) {
    it(`${model} ${run}: logits[s] -> scores[s] for every step, argmax = raw_sequences`, () => {
      const logits = fixtureF32(model, `${run}.logits`);
      const scores = fixtureF32(model, `${run}.scores`);
      const raw = fixtureI64(model, `${run}.raw_sequences`);
      const [steps, doubledRows, vocab] = logits.shape;
      const rows = doubledRows / 2;
      expect(scores.shape).toEqual([steps, rows, vocab]);
      const [, seqLen] = raw.shape;
      const firstGenerated = seqLen - steps; // 1 for text-only, 26 for the continuation
      const out = new Float32Array(rows * vocab);
      let maxErr = 0;
      for (let s = 0; s < steps; s++) {
        const step = logits.data.subarray(s * doubledRows * vocab, (s + 1) * doubledRows * vocab);
        applyClassifierFreeGuidance(step, rows, vocab, 3, out);
        const expected = scores.data.subarray(s * rows * vocab, (s + 1) * rows * vocab);
        for (let i = 0; i < out.length; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - expected[i]));
        for (let r = 0; r < rows; r++) {
          expect(argmax(out, r * vocab, vocab)).toBe(raw.data[r * seqLen + firstGenerated + s]);
        }
      }
      expect(maxErr).toBeLessThanOrEqual(1e-5);
      // float32 rounding per operation, as torch: the guided scores are bit-identical
      expect(maxErr).toBe(0);
    });
  }

  it('guidance scale 1 fixtures: no doubled batch, scores are the logits', () => {
    const logits = fixtureF32('musicgen-tiny', 'gen_cfg1.logits');
    const scores = fixtureF32('musicgen-tiny', 'gen_cfg1.scores');
    expect(logits.shape).toEqual(scores.shape);
    expect(Array.from(logits.data)).toEqual(Array.from(scores.data));
  });
});

describe('guidance arithmetic and options', () => {
  // 2 guided rows of vocab 3: cond rows then uncond rows
  const logits = Float32Array.from([1, 2, 3, 0, 0, 0, /* uncond */ 0.5, 0.5, 0.5, 1, -1, 2]);

  it('applies uncond + (cond - uncond) * coef', () => {
    const out = applyClassifierFreeGuidance(logits, 2, 3, 3);
    expect(Array.from(out)).toEqual([2, 5, 8, -2, 2, -4]);
  });

  it('per-row coefficients (a sweep with cfgCoef 1 and 0 in one batch)', () => {
    const out = applyClassifierFreeGuidance(logits, 2, 3, [1, 0]);
    expect(Array.from(out)).toEqual([1, 2, 3, 1, -1, 2]);
    expect(Array.from(cfgCoefPerRow([3, 1.5], 4))).toEqual([3, 3, 3, 3, 1.5, 1.5, 1.5, 1.5]);
  });

  it('two-step CFG: separate conditional and unconditional buffers, in place', () => {
    const cond = Float32Array.from([1, 2, 3]);
    const uncond = Float32Array.from([0.5, 0.5, 0.5]);
    const out = applyGuidance(cond, uncond, 1, 3, 2, cond);
    expect(out).toBe(cond);
    expect(Array.from(cond)).toEqual([1.5, 3.5, 5.5]);
  });

  it('rejects mismatched sizes', () => {
    expect(() => applyClassifierFreeGuidance(logits, 3, 3, 3)).toThrow(GuidanceError);
    expect(() => applyClassifierFreeGuidance(logits, 2, 3, [1, 2, 3])).toThrow(/one per guided row/);
    expect(() => applyGuidance(new Float32Array(3), new Float32Array(2), 1, 3, 3)).toThrow(/unconditional/);
  });
});
