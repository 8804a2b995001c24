import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loudness } from '../../src/audio/loudness.js';
import { readAudio } from '../../src/audio/read.js';
import { fixtureValue } from '../helpers/fixtures.js';
import { haveTool } from '../helpers/tools.js';
import { ffmpegIntegratedLoudness } from './ffmpeg.js';
import { fixtureChannels, REPO_ROOT } from './pcm.js';

interface LoudnessReference {
  float32: number;
  float64: number;
  sample_rate: number;
}

const REFERENCES = [
  'sine1k_m20dBFS_32k_mono',
  'sine1k_m20dBFS_32k_stereo',
  'sine1k_m20dBFS_48k_mono',
  'sine1k_m20dBFS_48k_stereo',
  'pinkish_noise_32k',
  'arpeggio_32k',
  'bach_32k',
];

describe('loudness (torchaudio 0.13 references)', () => {
  for (const name of REFERENCES) {
    it(`${name} within 0.05 LU of torchaudio`, () => {
      const ref = fixtureValue<LoudnessReference>('dsp', `${name}.loudness_lkfs`);
      const lufs = loudness(fixtureChannels(`${name}.pcm`), ref.sample_rate);
      expect(Math.abs(lufs - ref.float64)).toBeLessThan(0.05);
      // Same algorithm in float64: agreement should be at rounding level, not merely within tolerance.
      expect(Math.abs(lufs - ref.float64)).toBeLessThan(1e-6);
    });
  }

  it('silence and audio shorter than one 400 ms block have no loudness', () => {
    expect(loudness([new Float32Array(32000)], 32000)).toBe(-Infinity);
    expect(loudness([new Float32Array(100).fill(0.5)], 32000)).toBe(-Infinity);
  });

  it('rejects mismatched channel lengths and more than five channels', () => {
    expect(() => loudness([new Float32Array(10), new Float32Array(11)], 32000)).toThrow(/same length/);
    expect(() => loudness(Array.from({ length: 6 }, () => new Float32Array(32000)), 32000)).toThrow(/at most 5/);
  });
});

describe.skipIf(!haveTool('ffmpeg', 'reference loudness meter (ebur128)'))('loudness vs ffmpeg ebur128', () => {
  it('bach.mp3, decoded by readAudio, within 0.2 LU of ffmpeg', async () => {
    const path = join(REPO_ROOT, 'assets', 'bach.mp3');
    const { channels, sampleRate } = await readAudio(path);
    const ours = loudness(channels, sampleRate);
    const reference = ffmpegIntegratedLoudness(path);
    expect(Math.abs(ours - reference)).toBeLessThan(0.2);
  });
});
