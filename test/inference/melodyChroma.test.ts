import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMelodyChroma } from '../../src/app/resultFiles.js';
import { chromaOf } from '../../src/analysis/sweepReport.js';
import { convertAudio } from '../../src/audio/convertAudio.js';
import { extractChroma, type Chroma } from '../../src/audio/chroma.js';
import { readAudio } from '../../src/audio/read.js';
import { writeAudio } from '../../src/audio/write.js';
import { melodyChroma } from '../../src/cli/generate.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { synthesizedPreset } from '../helpers/models.js';

const work = mkdtempSync(join(tmpdir(), 'mg-melody-chroma-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const argmax = (chroma: Chroma): number[] => chroma.map((f) => f.indexOf(Math.max(...f)));

/**
 * A 2 s stereo file at 44.1 kHz: C4 on the left, a louder 15.2 kHz tone (pitch class A#) on the
 * right. julius' kernel (AudioCraft's convert_audio, cutoff 0.945 x 16 kHz) damps the high tone,
 * so the melody reads as C; a resampler with a higher cutoff keeps it and reads A#. The file tells
 * apart any caller that resamples its own way.
 */
async function melodyFile(): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const sr = 44100;
  const tone = (freq: number, amp: number): Float32Array => Float32Array.from({ length: 2 * sr }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / sr));
  const path = join(work, 'melody.wav');
  await writeAudio(path, [tone(261.63, 0.2), tone(15200, 0.8)], sr, { strategy: 'none', wavEncoding: 'float32' });
  const { channels, sampleRate } = await readAudio(path);
  expect(sampleRate).toBe(44100);
  return { channels, sampleRate };
}

describe('melody chroma: one conversion for the model, the CLI, the app and the report', () => {
  it("the CLI's, the app's and the report's chroma of a 44.1 kHz file equal the model's input", async () => {
    const melody = await melodyFile();
    const mg = await MusicGen.load(synthesizedPreset('melody-tiny'), { threads: 1 });
    try {
      const prepared = await mg.prepare({ text: ['organ'], melody: { audio: [melody.channels], sampleRate: melody.sampleRate }, params: { duration: 2 } });
      const { chromaLength, numChroma } = mg.config.melody!;
      const input = prepared.melody!.chromaForWindow(null);
      expect(input.length).toBe(chromaLength * numChroma);
      // 2 s give 16 frames of 128 ms; the model tiles them to its 235.
      const modelInput: Chroma = Array.from({ length: 16 }, (_, t) => input.slice(t * numChroma, (t + 1) * numChroma));
      expect(Array.from(input.subarray(16 * numChroma, 32 * numChroma))).toEqual(Array.from(input.subarray(0, 16 * numChroma)));

      const cli = melodyChroma(melody);
      const app = writeMelodyChroma(work, melody).chroma;
      const report = chromaOf(melody.channels, melody.sampleRate);
      for (const chroma of [cli, app, report]) {
        expect(chroma.length).toBe(16);
        expect(chroma.map((f) => Array.from(f))).toEqual(modelInput.map((f) => Array.from(f)));
      }
      // The melody is C for the model; the other kernel (the default of resample) would say A#.
      expect(argmax(modelInput)).toEqual(new Array(16).fill(0));
      const otherKernel = extractChroma(convertAudio(melody.channels, melody.sampleRate, 32000, 1)[0], 32000);
      expect(argmax(otherKernel)).toEqual(new Array(16).fill(10));
    } finally {
      await mg.dispose();
    }
  });
});
