import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioWriteError } from '../../src/audio/errors.js';
import { readAudio } from '../../src/audio/read.js';
import { writeAudio } from '../../src/audio/write.js';
import { fixtureF32 } from '../helpers/fixtures.js';
import { haveTool } from '../helpers/tools.js';
import { ffmpeg, ffmpegIntegratedLoudness } from './ffmpeg.js';

const dir = mkdtempSync(join(tmpdir(), 'musicgen-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bach = fixtureF32('dsp', 'bach_32k.pcm').data.subarray(0, 32000 * 4);
const stereo = [bach, Float32Array.from(bach, (v) => -0.5 * v)];

/** Stream description from ffprobe's text output (independent of our reader). */
function probe(path: string): string {
  return ffmpeg(['-i', path, '-f', 'null', '-']).split('\n').find((l) => l.includes('Stream #0:0')) ?? '';
}

describe('writeAudio: WAV', () => {
  it('defaults to 16-bit PCM, peak-normalised, read back within one step', async () => {
    const path = join(dir, 'a.wav');
    expect(await writeAudio(path, stereo, 32000, { strategy: 'none' })).toBe(path);
    const back = await readAudio(path);
    expect(back.sampleRate).toBe(32000);
    expect(back.channels.length).toBe(2);
    const maxError = Math.max(...back.channels.map((c, ch) => c.reduce((m, v, i) => Math.max(m, Math.abs(v - stereo[ch][i])), 0)));
    expect(maxError).toBeLessThanOrEqual(2 ** -16 + 1e-9);
    const normalised = await readAudio(await writeAudio(join(dir, 'b.wav'), stereo, 32000));
    const peak = normalised.channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(20 * Math.log10(peak)).toBeCloseTo(-1, 2);
    // Only the final file is left: no temporary files.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it.skipIf(!haveTool('ffmpeg', 'independent check of the written WAV encoding'))('writes 24-bit PCM and float32 on request (checked by ffmpeg)', async () => {
    const p24 = await writeAudio(join(dir, 'c24.wav'), stereo, 32000, { wavEncoding: 'pcm24' });
    const pf = await writeAudio(join(dir, 'cf.wav'), stereo, 32000, { wavEncoding: 'float32' });
    const p16 = await writeAudio(join(dir, 'c16.wav'), stereo, 32000);
    expect(probe(p24)).toMatch(/pcm_s24le.*32000 Hz.*stereo/);
    expect(probe(pf)).toMatch(/pcm_f32le.*32000 Hz.*stereo/);
    expect(probe(p16)).toMatch(/pcm_s16le.*32000 Hz.*stereo/);
  });

  it('refuses unknown extensions and non-finite samples', async () => {
    await expect(writeAudio(join(dir, 'x.aiff'), stereo, 32000)).rejects.toThrow(AudioWriteError);
    await expect(writeAudio(join(dir, 'x.wav'), [Float32Array.from([0, NaN])], 32000)).rejects.toThrow(/NaN/);
    expect(existsSync(join(dir, 'x.wav'))).toBe(false);
  });
});

describe.skipIf(!haveTool('ffmpeg', 'mp3/ogg/flac encoding and ebur128 measurement'))('writeAudio: through ffmpeg', () => {
  for (const format of ['mp3', 'ogg', 'flac'] as const) {
    it(`${format}: encoded by ffmpeg and readable by readAudio`, async () => {
      const path = await writeAudio(join(dir, `d.${format}`), stereo, 32000);
      const back = await readAudio(path);
      expect(back.sampleRate).toBe(32000);
      expect(back.channels.length).toBe(2);
      // MP3 adds encoder delay/padding unless gapless info is honoured; allow a couple of frames.
      expect(Math.abs(back.channels[0].length - bach.length)).toBeLessThanOrEqual(format === 'flac' ? 0 : 2304);
    });
  }

  it('loudness strategy: the written file measures -14 LUFS on ffmpeg ebur128 (within 0.1 LU + its 0.05 display rounding)', async () => {
    const path = await writeAudio(join(dir, 'loud.wav'), stereo, 32000, { strategy: 'loudness', wavEncoding: 'float32' });
    expect(Math.abs(ffmpegIntegratedLoudness(path) + 14)).toBeLessThanOrEqual(0.15);
  });

  it('a failed encode leaves neither a partial file nor a temporary, and keeps an existing file intact', async () => {
    const path = join(dir, 'keep.mp3');
    writeFileSync(path, 'previous content');
    await expect(writeAudio(path, stereo, 32000, { mp3Kbps: -5 })).rejects.toThrow(/ffmpeg failed to encode mp3/);
    expect(readFileSync(path, 'utf8')).toBe('previous content');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('writeAudio without ffmpeg', () => {
  it('says that mp3 needs ffmpeg and how to get it', async () => {
    const path = join(dir, 'none.mp3');
    const err = await writeAudio(path, stereo, 32000, { ffmpegPath: join(dir, 'no-such-ffmpeg') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioWriteError);
    expect((err as Error).message).toMatch(/writing mp3 needs ffmpeg, which was not found.*apt-get install ffmpeg/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
