/**
 * The model-free parts of the generation loop composed: replaying HF's recorded per-step decoder
 * logits through guidance, the greedy sampler and the delay pattern must give exactly the codes HF
 * passed to EnCodec. (Only the decoder forward itself is missing from this loop.)
 */
import { describe, expect, it } from 'vitest';
import { applyClassifierFreeGuidance } from '../../src/inference/cfg.js';
import {
  applyDelayPatternMaskAtStep,
  buildDelayPatternMask,
  firstFreeStep,
  revertDelayPattern,
} from '../../src/inference/delayPattern.js';
import { Rng } from '../../src/inference/rng.js';
import { TokenSampler } from '../../src/inference/sampling.js';
import { numDistinctDelays, sequenceLengthForFrames } from '../../src/model/stepCount.js';
import { fixtureF32, fixtureI64, type FixtureModel } from '../helpers/fixtures.js';

interface Replay {
  model: FixtureModel;
  run: string;
  numCodebooks: number;
  audioChannels: number;
  cfgCoef: number | null;
  promptFrames?: number;
}

const replays: Replay[] = [
  { model: 'musicgen-tiny', run: 'gen_cfg3', numCodebooks: 4, audioChannels: 1, cfgCoef: 3 },
  { model: 'musicgen-tiny', run: 'gen_cfg1', numCodebooks: 4, audioChannels: 1, cfgCoef: null },
  { model: 'musicgen-tiny', run: 'gen_uncond', numCodebooks: 4, audioChannels: 1, cfgCoef: null },
  { model: 'musicgen-stereo-tiny', run: 'gen_cfg3', numCodebooks: 8, audioChannels: 2, cfgCoef: 3 },
  { model: 'musicgen-stereo-tiny', run: 'gen_uncond', numCodebooks: 8, audioChannels: 2, cfgCoef: null },
  { model: 'musicgen-melody-tiny', run: 'gen_cfg3', numCodebooks: 4, audioChannels: 1, cfgCoef: 3 },
  { model: 'musicgen-melody-tiny', run: 'gen_text_cfg3', numCodebooks: 4, audioChannels: 1, cfgCoef: 3 },
  { model: 'musicgen-tiny', run: 'cont_cfg3', numCodebooks: 4, audioChannels: 1, cfgCoef: 3, promptFrames: 25 },
];

describe('greedy replay of HF logits through cfg + sampler + delay pattern', () => {
  for (const r of replays) {
    it(`${r.model} ${r.run}`, () => {
      const logits = fixtureF32(r.model, `${r.run}.logits`);
      const codes = fixtureI64(r.model, `${r.run}.codes`);
      const [, batchSize, K, frames] = codes.shape;
      expect(K).toBe(r.numCodebooks);
      const [steps, logitRows, V] = logits.shape;
      const rows = batchSize * K;
      const numDelays = numDistinctDelays(K, r.audioChannels);
      const maxLength = sequenceLengthForFrames(frames, numDelays);
      const shape = { batchSize, numCodebooks: K, audioChannels: r.audioChannels, maxLength };
      const prompt = r.promptFrames ? fixtureI64(r.model, 'cont.prompt_codes').data : undefined;
      const mask = buildDelayPatternMask({ ...shape, specialId: V, promptCodes: prompt, promptFrames: r.promptFrames });
      const start = firstFreeStep(mask, maxLength);
      expect(maxLength - start).toBe(steps);

      const sequence = Int32Array.from(mask);
      const sampler = new TokenSampler(V);
      const greedy = { useSampling: false, topK: 250, topP: 0, temperature: 1 };
      const rng = new Rng(0);
      const guided = new Float32Array(rows * V);
      const column = new Int32Array(rows);
      for (let s = 0; s < steps; s++) {
        const stepLogits = logits.data.subarray(s * logitRows * V, (s + 1) * logitRows * V);
        const scores = r.cfgCoef === null ? stepLogits : applyClassifierFreeGuidance(stepLogits, rows, V, r.cfgCoef, guided);
        for (let row = 0; row < rows; row++) column[row] = sampler.sample(scores, greedy, rng, row * V);
        applyDelayPatternMaskAtStep(column, mask, maxLength, start + s);
        for (let row = 0; row < rows; row++) sequence[row * maxLength + start + s] = column[row];
      }
      expect(Array.from(revertDelayPattern(sequence, shape))).toEqual(codes.data);
    });
  }
});
