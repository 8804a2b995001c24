import { describe, expect, it } from 'vitest';
import { MusicGen, type BatchItem } from '../../src/inference/musicgen.js';
import { synthesizedPreset } from '../helpers/models.js';

describe('generateBatch: different settings share each decoder forward', () => {
  it('an 8-setting batch runs one decoder call per step, and each item equals the setting generated alone', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const settings: BatchItem[] = [
      { text: 'warm piano', params: { topK: 250, temperature: 1, cfgCoef: 3, seed: 1 } },
      { text: 'warm piano', params: { topK: 50, temperature: 0.7, cfgCoef: 3, seed: 2 } },
      { text: 'warm piano', params: { topK: 0, topP: 0.9, cfgCoef: 5, seed: 3 } },
      { text: 'warm piano', params: { topK: 250, temperature: 1.3, cfgCoef: 1, seed: 4 } },
      { text: 'fast drums', params: { useSampling: false, cfgCoef: 3, seed: 5 } },
      { text: 'fast drums', params: { topK: 10, cfgCoef: 0, seed: 6 } },
      { text: 'fast drums', params: { topK: 250, cfgCoef: 2, seed: 7 } },
      { text: null, params: { topK: 250, cfgCoef: 3, seed: 8 } },
    ];
    const frames = 12;
    const batch = await mg.generateBatch(settings, { params: { frames } });
    // One forward per step for the whole batch: frames + 3 decoder calls.
    expect(batch.timings.decoderCalls).toBe(frames + 3);
    expect(batch.items.map((i) => i.seed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 0; i < settings.length; i++) {
      const s = settings[i];
      const alone = s.text === null
        ? await mg.generateUnconditional(1, { params: { frames, ...s.params } })
        : await mg.generate([s.text as string], { params: { frames, ...s.params } });
      expect(batch.codes[i], `setting ${i}`).toEqual(alone.codes[0]);
    }
  });
});
