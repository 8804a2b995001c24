import { describe, expect, it } from 'vitest';
import {
  decoderStepsForFrames,
  framesForSequenceLength,
  initialSequenceLength,
  InvalidStepCountError,
  numDistinctDelays,
  sequenceLengthForFrames,
} from '../../src/model/stepCount.js';
import { fixtureI64, fixtureValue } from '../helpers/fixtures.js';

interface GenerateArgs {
  max_new_tokens: number;
  prompt_frames: number;
  initial_length: number;
  max_length: number;
  output_frames: number;
  new_frames: number;
}

describe('frames <-> decoder steps', () => {
  it('distinct delays: K mono, K/2 stereo', () => {
    expect(numDistinctDelays(4)).toBe(4);
    expect(numDistinctDelays(8, 2)).toBe(4);
    expect(() => numDistinctDelays(4, 3)).toThrow(InvalidStepCountError);
  });

  it('text-only fixtures: 20 new tokens = 17 frames, 21 steps with BOS', () => {
    const raw = fixtureI64('musicgen-tiny', 'gen_cfg3.raw_sequences');
    const codes = fixtureI64('musicgen-tiny', 'gen_cfg3.codes');
    expect(raw.shape[1]).toBe(21);
    expect(codes.shape[3]).toBe(17);
    expect(decoderStepsForFrames(17, 4)).toBe(20);
    expect(sequenceLengthForFrames(17, 4)).toBe(raw.shape[1]);
    expect(framesForSequenceLength(21, 4)).toBe(17);
    // stereo: 8 codebooks but 4 distinct delays, same arithmetic
    const stereoCodes = fixtureI64('musicgen-stereo-tiny', 'gen_cfg3.codes');
    expect(decoderStepsForFrames(stereoCodes.shape[3], numDistinctDelays(8, 2))).toBe(20);
  });

  it('continuation fixture arithmetic (cont_cfg3.generate_args)', () => {
    const a = fixtureValue<GenerateArgs>('musicgen-tiny', 'cont_cfg3.generate_args');
    expect(initialSequenceLength(a.prompt_frames)).toBe(a.initial_length);
    expect(decoderStepsForFrames(a.output_frames, 4, a.prompt_frames)).toBe(a.max_new_tokens);
    expect(sequenceLengthForFrames(a.output_frames, 4)).toBe(a.max_length);
    expect(a.output_frames - a.prompt_frames).toBe(a.new_frames);
    // F total frames with a P-frame prompt -> F + 3 - P steps (issue 9)
    expect(decoderStepsForFrames(42, 4, 25)).toBe(42 + 3 - 25);
    // DESIGN §3: F frames need F + 3 steps after the first
    expect(decoderStepsForFrames(750, 4)).toBe(753);
  });

  it('rejects impossible counts', () => {
    expect(() => decoderStepsForFrames(10, 4, 11)).toThrow(/longer than the requested output/);
    expect(() => decoderStepsForFrames(0, 4)).toThrow(InvalidStepCountError);
    expect(() => decoderStepsForFrames(1.5, 4)).toThrow(/integer/);
  });
});
