import { describe, expect, it } from 'vitest';
import { DEFAULT_RESAMPLE, JULIUS_RESAMPLE, resample } from '../../src/audio/resample.js';
import { CodecEncoder } from '../../src/evaluation/codecEncoder.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { convertedFixture } from '../helpers/models.js';

/**
 * Audio that enters EnCodec at another rate than the model's (a continuation prompt, a dataset
 * file) is resampled with julius' kernel, as AudioCraft's convert_audio does, so prompt codes and
 * cached tokens match AudioCraft's for the same file. Broadband noise at 44.1 kHz: the two kernels
 * differ near Nyquist, enough to change some EnCodec codes.
 */
describe('audio reaches EnCodec as AudioCraft resamples it (julius kernel)', () => {
  const sr = 44100;
  const rand = mulberry32(7);
  const noise = Float32Array.from({ length: Math.round(0.5 * sr) }, () => (rand() - 0.5) * 0.8);
  const julius = resample(noise, sr, 32000, JULIUS_RESAMPLE);
  const ours = resample(noise, sr, 32000, DEFAULT_RESAMPLE);
  const flat = (codes: readonly ArrayLike<number>[]): number[] => codes.flatMap((c) => Array.from(c));

  it('the token cache encoder: 44.1 kHz audio gives the codes of its julius-resampled 32 kHz copy', async () => {
    const enc = CodecEncoder.open(convertedFixture('musicgen-tiny'), { threads: 1 });
    try {
      const direct = flat(await enc.encode([noise], sr));
      expect(direct).toEqual(flat(await enc.encode([julius], 32000)));
      // The check means something: the other kernel gives other codes for this audio.
      expect(direct).not.toEqual(flat(await enc.encode([ours], 32000)));
    } finally {
      await enc.dispose();
    }
  });

  it("a continuation prompt at 44.1 kHz: the output's prompt codes are those of its julius-resampled copy", async () => {
    const mg = await MusicGen.load(convertedFixture('musicgen-tiny'), { threads: 1 });
    try {
      const params = { useSampling: false, cfgCoef: 1, frames: 30 };
      const direct = await mg.generateContinuation([[noise]], sr, null, { params });
      const viaJulius = await mg.generateContinuation([[julius]], 32000, null, { params });
      const viaOurs = await mg.generateContinuation([[ours]], 32000, null, { params });
      const codes = (r: { codes: Int32Array[][] }): number[] => flat(r.codes[0]);
      expect(codes(direct)).toEqual(codes(viaJulius));
      expect(codes(direct)).not.toEqual(codes(viaOurs));
    } finally {
      await mg.dispose();
    }
  });
});
