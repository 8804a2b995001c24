import { describe, expect, it } from 'vitest';
import { MusicGen } from '../../src/inference/musicgen.js';
import { fixtureF32, fixtureI64, fixtureTextTokens, flatAudio, flatCodes, relL2, type FixtureModel } from '../helpers/fixtures.js';
import { convertedFixture } from '../helpers/models.js';

// Every parity case runs on both decoder layouts of the same folder: ours (kvbuffer) and the
// transformers.js merged decoder that downloaded folders have.
const LAYOUTS = ['kvbuffer', 'merged'] as const;

/** 20 new tokens from the BOS step = 17 frames (the fixtures' max_new_tokens=20). */
const FRAMES = 17;




const greedy = (cfgCoef: number) => ({ useSampling: false, cfgCoef, frames: FRAMES });

describe.each(LAYOUTS.flatMap((layout) => (['musicgen-tiny', 'musicgen-stereo-tiny'] as FixtureModel[]).map((model) => [model, layout] as const)))('greedy generation parity (%s, %s decoder)', (model, layout) => {
  it.each([
    ['gen_cfg3', 3],
    ['gen_cfg1', 1],
  ] as const)('%s: exact codes and audio within 1e-4', async (ref, cfgCoef) => {
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const r = await mg.generate(fixtureTextTokens(model), { params: greedy(cfgCoef) });
    expect(flatCodes(r.codes)).toEqual(fixtureI64(model, `${ref}.codes`).data);
    const refAudio = fixtureF32(model, `${ref}.audio_values`);
    expect(r.audio.length).toBe(refAudio.shape[0]);
    expect(r.audio[0].length).toBe(refAudio.shape[1]);
    // Reference layout (batch, channels, samples) is item-major, as is ours.
    expect(relL2(flatAudio(r.audio), refAudio.data)).toBeLessThan(1e-4);
    expect(r.timings.decoderCalls).toBe(FRAMES + 3);
  });

  it('unconditional: exact codes and audio within 1e-4', async () => {
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const r = await mg.generateUnconditional(2, { params: greedy(3) });
    expect(flatCodes(r.codes)).toEqual(fixtureI64(model, 'gen_uncond.codes').data);
    expect(relL2(flatAudio(r.audio), fixtureF32(model, 'gen_uncond.audio_values').data)).toBeLessThan(1e-4);
  });
});

describe.each(LAYOUTS)('greedy generation parity (musicgen-melody-tiny, text only, %s decoder)', (layout) => {
  it('gen_text_cfg3: exact codes and audio within 1e-4', async () => {
    const model: FixtureModel = 'musicgen-melody-tiny';
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const r = await mg.generate(fixtureTextTokens(model), { params: greedy(3) });
    expect(flatCodes(r.codes)).toEqual(fixtureI64(model, 'gen_text_cfg3.codes').data);
    expect(relL2(flatAudio(r.audio), fixtureF32(model, 'gen_text_cfg3.audio_values').data)).toBeLessThan(1e-4);
  });
});
