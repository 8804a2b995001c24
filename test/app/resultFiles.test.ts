import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMelodyChroma, writeSampleFiles } from '../../src/app/resultFiles.js';
import { spectrogramPng } from '../../src/app/spectrogramImage.js';
import { waveformPng } from '../../src/app/waveformImage.js';
import { loudness } from '../../src/audio/loudness.js';
import { decodeWav } from '../../src/audio/wavCodec.js';

const dir = mkdtempSync(join(tmpdir(), 'musicgen-app-result-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tone(seconds: number, freq: number, amp: number, rate = 32000): Float32Array {
  const x = new Float32Array(seconds * rate);
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate) + 0.01 * Math.sin(i * 1.7);
  return x;
}

/** Width and height from a PNG's IHDR. */
function pngSize(bytes: Uint8Array): [number, number] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return [v.getUint32(16), v.getUint32(20)];
}

describe('result files', () => {
  it('writes the demo\'s loudness-normalised WAV (-16 LUFS with the compressor) and its pictures', () => {
    const audio = [tone(3, 440, 0.05)];
    const f = writeSampleFiles(dir, 0, audio, 32000, null);
    const wav = decodeWav(readFileSync(join(dir, f.wav)), f.wav);
    expect(wav.channels[0].length).toBe(96000);
    expect(loudness(wav.channels, 32000)).toBeCloseTo(-16, 0);
    expect(f).toMatchObject({ durationS: 3, chromaMatchRate: null });
    expect(pngSize(readFileSync(join(dir, f.waveform)))).toEqual([800, 120]);
    expect(pngSize(readFileSync(join(dir, f.spectrogram)))[1]).toBe(256);
  });

  it('melody chroma: a sample that repeats the melody matches it, another pitch does not', () => {
    const melody = { channels: [tone(2, 261.63, 0.3, 44100)], sampleRate: 44100 };
    const { chroma, file } = writeMelodyChroma(dir, melody);
    expect(file).toBe('melody-chroma.png');
    expect(writeSampleFiles(dir, 1, [tone(2, 261.63, 0.3)], 32000, chroma).chromaMatchRate).toBeGreaterThan(0.9);
    expect(writeSampleFiles(dir, 2, [tone(2, 392, 0.3)], 32000, chroma).chromaMatchRate).toBeLessThan(0.1);
  });

  it('pictures of very short and silent audio are still valid PNGs', () => {
    expect(pngSize(spectrogramPng([new Float32Array(10)]))[1]).toBe(256);
    expect(pngSize(waveformPng([new Float32Array(0)], { width: 20, height: 10 }))).toEqual([20, 10]);
  });
});
