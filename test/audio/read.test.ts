import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioDecodeError } from '../../src/audio/errors.js';
import { detectContainer, readAudio } from '../../src/audio/read.js';
import { encodeWav } from '../../src/audio/wavCodec.js';
import { haveTool } from '../helpers/tools.js';
import { ffmpeg, ffmpegDecodeF32 } from './ffmpeg.js';
import { REPO_ROOT } from './pcm.js';

const BACH = join(REPO_ROOT, 'assets', 'bach.mp3');
const dir = mkdtempSync(join(tmpdir(), 'musicgen-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stereo test signal at 32 kHz: different tones per channel, peak 0.8 (no clipping at any depth). */
function testSignal(length = 16000): Float32Array[] {
  return [
    Float32Array.from({ length }, (_, i) => 0.8 * Math.sin((2 * Math.PI * 440 * i) / 32000)),
    Float32Array.from({ length }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1234 * i) / 32000) - 0.3 * Math.sin((2 * Math.PI * 97 * i) / 32000)),
  ];
}

function maxAbsDiff(a: Float32Array, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Pearson correlation of x[i + lag] with y[i] over the overlap. */
function correlation(x: Float32Array, y: Float32Array, lag: number): number {
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = Math.max(0, -lag); i < y.length && i + lag < x.length; i++) {
    const a = x[i + lag];
    sxy += a * y[i]; sxx += a * a; syy += y[i] * y[i];
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('readAudio: WAV', () => {
  const signal = testSignal();

  it('round-trips our own 16/24-bit PCM and float32 WAV within one quantisation step', async () => {
    for (const [encoding, step] of [['pcm16', 2 ** -15], ['pcm24', 2 ** -23], ['float32', 0]] as const) {
      const decoded = await readAudio(encodeWav(signal, 32000, encoding));
      expect(decoded.sampleRate).toBe(32000);
      expect(decoded.channels.length).toBe(2);
      for (let c = 0; c < 2; c++) expect(maxAbsDiff(decoded.channels[c], signal[c])).toBeLessThanOrEqual(step * 0.5 + 1e-9);
    }
  });

  describe.skipIf(!haveTool('ffmpeg', 'independent WAV encoder for every bit depth'))('files written by ffmpeg', () => {
    const raw = join(dir, 'signal.f32');
    const interleaved = new Float32Array(signal[0].length * 2);
    signal[0].forEach((v, i) => ((interleaved[2 * i] = v), (interleaved[2 * i + 1] = signal[1][i])));
    writeFileSync(raw, interleaved);
    for (const [codec, step] of [['pcm_u8', 2 ** -7], ['pcm_s16le', 2 ** -15], ['pcm_s24le', 2 ** -23], ['pcm_s32le', 2 ** -31], ['pcm_f32le', 0], ['pcm_f64le', 0]] as const) {
      it(`${codec} decodes to the source within half a quantisation step`, async () => {
        const path = join(dir, `${codec}.wav`);
        ffmpeg(['-v', 'error', '-f', 'f32le', '-ar', '32000', '-ac', '2', '-i', raw, '-c:a', codec, path]);
        const decoded = await readAudio(path);
        expect(decoded.sampleRate).toBe(32000);
        for (let c = 0; c < 2; c++) expect(maxAbsDiff(decoded.channels[c], signal[c])).toBeLessThanOrEqual(step * 0.5 + 1e-7);
      });
    }
  });

  it.skipIf(!haveTool('ffmpeg', 'multichannel WAVE_FORMAT_EXTENSIBLE writer'))('WAVE_FORMAT_EXTENSIBLE (5.1, float and 24-bit) matches ffmpeg\'s decode', async () => {
    for (const codec of ['pcm_f32le', 'pcm_s24le']) {
      const path = join(dir, `six-${codec}.wav`);
      ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=440:d=0.25:sample_rate=48000', '-af', 'pan=5.1|c0=c0|c1=-0.5*c0|c2=c0|c3=0.25*c0|c4=c0|c5=c0', '-c:a', codec, path]);
      expect(readFileSync(path).readUInt16LE(20)).toBe(0xfffe);
      const ours = await readAudio(path);
      const ref = ffmpegDecodeF32(path);
      expect(ours.channels.length).toBe(6);
      let worst = 0;
      for (let c = 0; c < 6; c++) ours.channels[c].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref[i * 6 + c]))));
      expect(worst).toBeLessThan(1e-6);
    }
  });
});

describe.skipIf(!haveTool('ffmpeg', 'reference MP3 decoder and FLAC/Vorbis encoder'))('readAudio: compressed formats vs ffmpeg', () => {
  it('MP3: bach.mp3 matches ffmpeg\'s decode, correlation > 0.999 after alignment', async () => {
    const ours = await readAudio(BACH);
    const ref = ffmpegDecodeF32(BACH);
    expect(ours.sampleRate).toBe(44100);
    expect(ours.channels.length).toBe(2);
    for (let c = 0; c < 2; c++) {
      const refChannel = Float32Array.from({ length: ref.length / 2 }, (_, i) => ref[2 * i + c]);
      // Decoders may differ in encoder-delay handling: find the lag (within +-2 MP3 frames) on an
      // 8192-sample excerpt, then correlate the whole signal at that lag.
      const excerpt = refChannel.subarray(88200, 96392);
      let bestLag = 0;
      let bestExcerpt = -1;
      for (let lag = -2304; lag <= 2304; lag++) {
        const r = correlation(ours.channels[c].subarray(88200), excerpt, lag);
        if (r > bestExcerpt) [bestExcerpt, bestLag] = [r, lag];
      }
      const best = correlation(ours.channels[c], refChannel, bestLag);
      expect(best).toBeGreaterThan(0.999);
    }
  });

  it('FLAC and Ogg Vorbis decode to the same audio as ffmpeg', async () => {
    for (const [ext, args, minCorrelation] of [['flac', ['-c:a', 'flac'], 0.999999], ['ogg', ['-c:a', 'libvorbis'], 0.999]] as const) {
      const path = join(dir, `bach.${ext}`);
      ffmpeg(['-v', 'error', '-i', BACH, '-t', '2', ...args, path]);
      const ours = await readAudio(path);
      const ref = ffmpegDecodeF32(path);
      expect(ours.channels[0].length).toBe(ref.length / 2);
      const left = Float32Array.from({ length: ref.length / 2 }, (_, i) => ref[2 * i]);
      expect(correlation(ours.channels[0], left, 0)).toBeGreaterThan(minCorrelation);
    }
  });

  it('truncated FLAC, Ogg and MP3 files are reported as truncated, naming the file', async () => {
    const flac = join(dir, 'cut.flac');
    ffmpeg(['-v', 'error', '-i', BACH, '-t', '2', '-c:a', 'flac', join(dir, 'whole.flac')]);
    writeFileSync(flac, readFileSync(join(dir, 'whole.flac')).subarray(0, 30000));
    await expect(readAudio(flac)).rejects.toThrow(new RegExp(`${flac}.*truncated`));
    const ogg = join(dir, 'cut.ogg');
    ffmpeg(['-v', 'error', '-i', BACH, '-t', '2', '-c:a', 'libvorbis', join(dir, 'whole.ogg')]);
    writeFileSync(ogg, readFileSync(join(dir, 'whole.ogg')).subarray(0, 20000));
    await expect(readAudio(ogg)).rejects.toThrow(/cut\.ogg.*truncated/);
    const opus = join(dir, 'x.opus');
    ffmpeg(['-v', 'error', '-i', BACH, '-t', '1', '-c:a', 'libopus', opus]);
    await expect(readAudio(opus)).rejects.toThrow(/Opus is not supported/);
    for (const [ext, message] of [['aac', /AAC \(ADTS\) is not supported/], ['m4a', /MP4\/M4A audio is not supported/], ['aiff', /AIFF is not supported/]] as const) {
      const path = join(dir, `x.${ext}`);
      ffmpeg(['-v', 'error', '-i', BACH, '-t', '0.5', path]);
      await expect(readAudio(path)).rejects.toThrow(message);
    }
  });
});

describe('readAudio: errors', () => {
  it('missing, empty, directory, unrecognised, truncated and unsupported input', async () => {
    await expect(readAudio(join(dir, 'nope.wav'))).rejects.toThrow(/nope\.wav: no such file/);
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, new Uint8Array(0));
    await expect(readAudio(empty)).rejects.toThrow(/empty\.wav: the file is empty/);
    await expect(readAudio(dir)).rejects.toThrow(/directory/);
    await expect(readAudio(new TextEncoder().encode('hello, this is not audio at all'))).rejects.toThrow(/<buffer>: unrecognised format/);

    const wav = encodeWav(testSignal(1000), 32000, 'pcm16');
    await expect(readAudio(wav.subarray(0, wav.length - 100))).rejects.toThrow(/truncated: the data chunk declares 4000 bytes but only 3900/);
    await expect(readAudio(readFileSync(BACH).subarray(0, 80000))).rejects.toThrow(/truncated: the last MPEG frame/);
    const headerOnly = encodeWav([new Float32Array(0)], 32000, 'pcm16');
    await expect(readAudio(headerOnly)).rejects.toThrow(/no samples/);

    // A-law WAV (format tag 6): recognised as WAV, refused with the reason.
    const alaw = new Uint8Array(wav);
    new DataView(alaw.buffer).setUint16(20, 6, true);
    new DataView(alaw.buffer).setUint16(34, 8, true);
    await expect(readAudio(alaw)).rejects.toThrow(/unsupported WAV encoding \(format tag 6/);

    const err = await readAudio(join(dir, 'nope.wav')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDecodeError);
    expect((err as AudioDecodeError).name).toBe('AudioDecodeError');
    expect((err as AudioDecodeError).source).toBe(join(dir, 'nope.wav'));
  });

  it('recognises containers by content', () => {
    expect(detectContainer(readFileSync(BACH))).toBe('mp3');
    expect(detectContainer(encodeWav([new Float32Array(4)], 8000, 'pcm16'))).toBe('wav');
  });
});
