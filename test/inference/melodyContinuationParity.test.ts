import { describe, expect, it } from 'vitest';
import { GenerationInputError } from '../../src/inference/errors.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { fixtureF32, fixtureI64, fixtureTextTokens, flatAudio, flatCodes, relL2, type FixtureModel } from '../helpers/fixtures.js';
import { convertedFixture } from '../helpers/models.js';

const LAYOUTS = ['kvbuffer', 'merged'] as const;


describe.each(LAYOUTS)('melody parity (musicgen-melody-tiny, %s decoder)', (layout) => {
  const model: FixtureModel = 'musicgen-melody-tiny';

  /** The fixture's two 3 s melodies, [2, 96000] at 32 kHz. */
  function melodies(): Float32Array[][] {
    const w = fixtureF32(model, 'melody.waveforms');
    const n = w.shape[1];
    return [[w.data.slice(0, n)], [w.data.slice(n, 2 * n)]];
  }

  /** HF's input_features [2, 24, 12] as frames per item. */
  function referenceChroma(): Float32Array[][] {
    const f = fixtureF32(model, 'melody.input_features');
    const [B, C, bins] = f.shape;
    return Array.from({ length: B }, (_, b) => Array.from({ length: C }, (_, t) => f.data.slice((b * C + t) * bins, (b * C + t + 1) * bins)));
  }

  it.each([
    ['gen_cfg3', 3],
    ['gen_cfg1', 1],
  ] as const)('%s from the reference chroma: exact codes, audio within 1e-4', async (ref, cfgCoef) => {
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const r = await mg.generateWithChromaFeatures(fixtureTextTokens(model), referenceChroma(), { params: { useSampling: false, cfgCoef, frames: 17 } });
    expect(flatCodes(r.codes)).toEqual(fixtureI64(model, `${ref}.codes`).data);
    expect(relL2(flatAudio(r.audio), fixtureF32(model, `${ref}.audio_values`).data)).toBeLessThan(1e-4);
  });

  it.each([
    ['gen_cfg3', 3],
    ['gen_cfg1', 1],
  ] as const)('%s from our chroma of the melody audio: exact codes, audio within 1e-4', async (ref, cfgCoef) => {
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const r = await mg.generateWithChroma(fixtureTextTokens(model), melodies(), 32000, { params: { useSampling: false, cfgCoef, frames: 17 } });
    expect(flatCodes(r.codes)).toEqual(fixtureI64(model, `${ref}.codes`).data);
    expect(relL2(flatAudio(r.audio), fixtureF32(model, `${ref}.audio_values`).data)).toBeLessThan(1e-4);
  });

  it('melody conditioning on a text-only model is refused with a clear error', async () => {
    const mg = await MusicGen.load(convertedFixture('musicgen-tiny'), { threads: 1 });
    await expect(mg.generateWithChroma(null, [[new Float32Array(32000)]], 32000)).rejects.toThrow(GenerationInputError);
    await expect(mg.generateWithChroma(null, [[new Float32Array(32000)]], 32000)).rejects.toThrow(/needs a musicgen_melody model/);
  });
});

describe.each(LAYOUTS)('continuation parity (musicgen-tiny, cont_cfg3, %s decoder)', (layout) => {
  it('0.5 s prompt, both text rows, CFG 3, greedy, 42 frames: exact codes (prompt first), audio within 1e-4', async () => {
    const model: FixtureModel = 'musicgen-tiny';
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    const prompt = fixtureF32(model, 'cont.prompt_audio').data;
    const r = await mg.generateContinuation([[prompt], [prompt]], 32000, fixtureTextTokens(model), { params: { useSampling: false, cfgCoef: 3, frames: 42 } });
    const ref = fixtureI64(model, 'cont_cfg3.codes').data;
    expect(flatCodes(r.codes)).toEqual(ref);
    const promptCodes = fixtureI64(model, 'cont.prompt_codes').data;
    for (let k = 0; k < 4; k++) expect(Array.from(r.codes[0][k].slice(0, 25))).toEqual(promptCodes.slice(k * 25, (k + 1) * 25));
    expect(relL2(flatAudio(r.audio), fixtureF32(model, 'cont_cfg3.audio_values').data)).toBeLessThan(1e-4);
    expect(r.timings.decoderCalls).toBe(42 + 3 - 25);
  });

  it('a prompt longer than the requested duration is rejected', async () => {
    const mg = await MusicGen.load(convertedFixture('musicgen-tiny'), { threads: 1 });
    const prompt = fixtureF32('musicgen-tiny', 'cont.prompt_audio').data;
    await expect(mg.generateContinuation([[prompt]], 32000, null, { params: { frames: 20 } })).rejects.toThrow(/duration counts the prompt/);
  });
});
