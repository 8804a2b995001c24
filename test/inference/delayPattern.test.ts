import { describe, expect, it } from 'vitest';
import {
  FREE_CELL,
  applyDelayPatternMaskAtStep,
  buildDelayPatternMask,
  codebookDelays,
  DelayPatternError,
  firstFreeStep,
  initialDecoderInputIds,
  revertDelayPattern,
} from '../../src/inference/delayPattern.js';
import { fixtureI64, fixtureValue, type FixtureModel } from '../helpers/fixtures.js';

/** A whole (rows, maxLength) sequence masked step by step, as the token loop masks each column. */
function maskEveryStep(sequence: ArrayLike<number>, mask: ArrayLike<number>, rows: number, maxLength: number): Int32Array {
  const out = Int32Array.from(sequence);
  const column = new Int32Array(rows);
  for (let s = 0; s < maxLength; s++) {
    for (let r = 0; r < rows; r++) column[r] = out[r * maxLength + s];
    applyDelayPatternMaskAtStep(column, mask, maxLength, s);
    for (let r = 0; r < rows; r++) out[r * maxLength + s] = column[r];
  }
  return out;
}

interface ModelGeometry {
  model: FixtureModel;
  numCodebooks: number;
  audioChannels: number;
  specialId: number;
}

// Fixture configs: decoder vocab 64 (special id 64), 4 codebooks mono / 8 stereo.
const TINY: ModelGeometry = { model: 'musicgen-tiny', numCodebooks: 4, audioChannels: 1, specialId: 64 };
const STEREO: ModelGeometry = { model: 'musicgen-stereo-tiny', numCodebooks: 8, audioChannels: 2, specialId: 64 };
const MELODY: ModelGeometry = { model: 'musicgen-melody-tiny', numCodebooks: 4, audioChannels: 1, specialId: 64 };

describe('codebookDelays', () => {
  it('mono delays are 0..K-1, stereo pairs share a delay', () => {
    expect(Array.from(codebookDelays(4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(codebookDelays(8, 2))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
  it('rejects an odd stereo codebook count', () => {
    expect(() => codebookDelays(7, 2)).toThrow(/multiple of audioChannels/);
  });
});

describe('buildDelayPatternMask reproduces HF build_delay_pattern_mask', () => {
  const cases: Array<[ModelGeometry, string]> = [
    [TINY, 'gen_cfg3'],
    [TINY, 'gen_cfg1'],
    [TINY, 'gen_uncond'],
    [STEREO, 'gen_cfg3'],
    [STEREO, 'gen_uncond'],
    [MELODY, 'gen_cfg3'],
    [MELODY, 'gen_text_cfg3'],
  ];
  for (const [geo, run] of cases) {
    it(`${geo.model} ${run}.delay_pattern_mask`, () => {
      const expected = fixtureI64(geo.model, `${run}.delay_pattern_mask`);
      const [rows, maxLength] = expected.shape;
      const mask = buildDelayPatternMask({
        batchSize: rows / geo.numCodebooks,
        numCodebooks: geo.numCodebooks,
        audioChannels: geo.audioChannels,
        maxLength,
        specialId: geo.specialId,
      });
      expect(Array.from(mask)).toEqual(expected.data);
      expect(firstFreeStep(mask, maxLength)).toBe(1);
    });
  }

  it('spot-checks the triangles by hand (mono K=4, 21 steps)', () => {
    const mask = buildDelayPatternMask({ batchSize: 1, numCodebooks: 4, maxLength: 21, specialId: 2048 });
    const row = (k: number): number[] => Array.from(mask.subarray(k * 21, (k + 1) * 21));
    // codebook 3: BOS at steps 0..3, free 4..20 (17 frames), no end pad.
    expect(row(3).slice(0, 4)).toEqual([2048, 2048, 2048, 2048]);
    expect(row(3).slice(4).every((v) => v === FREE_CELL)).toBe(true);
    // codebook 0: BOS at 0, free 1..17, pad at 18..20.
    expect(row(0)[0]).toBe(2048);
    expect(row(0).slice(1, 18).every((v) => v === FREE_CELL)).toBe(true);
    expect(row(0).slice(18)).toEqual([2048, 2048, 2048]);
  });
});

describe('continuation: prompt frames forced into the pattern (cont_cfg3)', () => {
  const promptCodes = fixtureI64('musicgen-tiny', 'cont.prompt_codes'); // (1, 2, 4, 25)
  const expectedMask = fixtureI64('musicgen-tiny', 'cont_cfg3.delay_pattern_mask'); // (8, 46)
  const args = fixtureValue<{ prompt_frames: number; max_length: number; initial_length: number }>(
    'musicgen-tiny',
    'cont_cfg3.generate_args',
  );
  const shape = { batchSize: 2, numCodebooks: 4, maxLength: args.max_length };

  it('mask equals cont_cfg3.delay_pattern_mask', () => {
    expect(promptCodes.shape).toEqual([1, 2, 4, 25]);
    const mask = buildDelayPatternMask({
      ...shape,
      specialId: 64,
      promptCodes: promptCodes.data,
      promptFrames: args.prompt_frames,
    });
    expect(Array.from(mask)).toEqual(expectedMask.data);
  });

  it('initial decoder input equals cont_cfg3.decoder_input_ids (cut at the first free step)', () => {
    const mask = buildDelayPatternMask({
      ...shape,
      specialId: 64,
      promptCodes: promptCodes.data,
      promptFrames: args.prompt_frames,
    });
    const first = firstFreeStep(mask, shape.maxLength);
    expect(first).toBe(args.initial_length);
    const ids = initialDecoderInputIds(mask, shape);
    const expected = fixtureI64('musicgen-tiny', 'cont_cfg3.decoder_input_ids');
    expect(expected.shape).toEqual([8, 26]);
    expect(Array.from(ids)).toEqual(expected.data);
  });

  it('rejects a prompt longer than the sequence holds', () => {
    expect(() =>
      buildDelayPatternMask({ batchSize: 1, numCodebooks: 4, maxLength: 10, specialId: 64, promptCodes: new Array(4 * 7).fill(0), promptFrames: 7 }),
    ).toThrow(DelayPatternError);
    expect(() =>
      buildDelayPatternMask({ batchSize: 1, numCodebooks: 4, maxLength: 10, specialId: 64, promptFrames: 2 }),
    ).toThrow(/needs promptCodes/);
    expect(() =>
      buildDelayPatternMask({ batchSize: 1, numCodebooks: 4, maxLength: 10, specialId: 64, promptCodes: [1, 2], promptFrames: 2 }),
    ).toThrow(/expected 8/);
  });
});

describe('apply mask + revert reproduces the codes passed to EnCodec', () => {
  const cases: Array<[ModelGeometry, string]> = [
    [TINY, 'gen_cfg3'],
    [TINY, 'gen_cfg1'],
    [TINY, 'gen_uncond'],
    [STEREO, 'gen_cfg3'],
    [STEREO, 'gen_cfg1'],
    [STEREO, 'gen_uncond'],
    [MELODY, 'gen_cfg3'],
    [MELODY, 'gen_cfg1'],
    [MELODY, 'gen_text_cfg3'],
    [TINY, 'cont_cfg3'],
  ];
  for (const [geo, run] of cases) {
    it(`${geo.model} ${run}.raw_sequences -> ${run}.codes`, () => {
      const raw = fixtureI64(geo.model, `${run}.raw_sequences`);
      const mask = fixtureI64(geo.model, `${run}.delay_pattern_mask`);
      const codes = fixtureI64(geo.model, `${run}.codes`);
      const [rows, maxLength] = raw.shape;
      const shape = {
        batchSize: rows / geo.numCodebooks,
        numCodebooks: geo.numCodebooks,
        audioChannels: geo.audioChannels,
        maxLength,
      };
      const seq = maskEveryStep(raw.data, mask.data, rows, maxLength);
      const reverted = revertDelayPattern(seq, shape);
      expect([1, shape.batchSize, geo.numCodebooks, reverted.length / rows]).toEqual(codes.shape);
      expect(Array.from(reverted)).toEqual(codes.data);
    });
  }

  it('revert without the mask would differ (the raw sequences hold argmax values in forced cells)', () => {
    const raw = fixtureI64('musicgen-tiny', 'cont_cfg3.raw_sequences');
    const codes = fixtureI64('musicgen-tiny', 'cont_cfg3.codes');
    const reverted = revertDelayPattern(raw.data, { batchSize: 2, numCodebooks: 4, maxLength: 46 });
    expect(Array.from(reverted)).not.toEqual(codes.data);
  });

  it('the per-step form (the token loop\'s) keeps free cells and writes the mask into forced ones', () => {
    const raw = fixtureI64('musicgen-stereo-tiny', 'gen_cfg3.raw_sequences');
    const mask = fixtureI64('musicgen-stereo-tiny', 'gen_cfg3.delay_pattern_mask');
    const [rows, maxLength] = raw.shape;
    for (let s = 0; s < maxLength; s++) {
      const column = new Int32Array(rows);
      for (let r = 0; r < rows; r++) column[r] = raw.data[r * maxLength + s];
      applyDelayPatternMaskAtStep(column, mask.data, maxLength, s);
      for (let r = 0; r < rows; r++) {
        const m = mask.data[r * maxLength + s];
        expect(column[r]).toBe(m === -1 ? raw.data[r * maxLength + s] : m);
      }
    }
  });

});
