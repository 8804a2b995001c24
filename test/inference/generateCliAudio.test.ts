import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAudio } from '../../src/audio/read.js';
import { writeAudio } from '../../src/audio/write.js';
import { runGenerate } from '../../src/cli/generate.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { synthesizedPreset } from '../helpers/models.js';

const work = mkdtempSync(join(tmpdir(), 'mg-cli-audio-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bach = join(import.meta.dirname, '..', '..', 'assets', 'bach.mp3');

function sine(freq: number, seconds: number, sr = 32000): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sr) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * freq * i) / sr));
}

describe('musicgen generate with audio conditioning', () => {
  it('--melody on a melody model records the melody and its chroma match rate', async () => {
    const out = join(work, 'melody');
    await runGenerate(['baroque organ'], { model: synthesizedPreset('melody-tiny'), melody: bach, out, strategy: 'peak', duration: '1', seed: '3', quiet: true, threads: '1' });
    const side = JSON.parse(readFileSync(join(out, '00-baroque-organ.json'), 'utf8'));
    expect(side.melody.files).toEqual([bach]);
    expect(side.melody.chromaMatchRate).toBeGreaterThanOrEqual(0);
    expect(side.melody.chromaMatchRate).toBeLessThanOrEqual(1);
  });

  it('--stems sums the stems into the melody; different stems change the output', async () => {
    const a = join(work, 'a.wav');
    const b = join(work, 'b.wav');
    await writeAudio(a, [sine(261.63, 2)], 32000, { strategy: 'none' });
    await writeAudio(b, [sine(392, 2)], 32000, { strategy: 'none' });
    const one = join(work, 'stems-1');
    const two = join(work, 'stems-2');
    const common = { model: synthesizedPreset('melody-tiny'), strategy: 'none', duration: '0.5', seed: '1', quiet: true, threads: '1', greedy: true };
    await runGenerate(['x'], { ...common, stems: [a], out: one });
    await runGenerate(['x'], { ...common, stems: [a, b], out: two });
    const s1 = JSON.parse(readFileSync(join(one, '00-x.json'), 'utf8'));
    const s2 = JSON.parse(readFileSync(join(two, '00-x.json'), 'utf8'));
    expect(s2.melody.files).toEqual([a, b]);
    expect(s1.codes).not.toEqual(s2.codes);
  });

  it('--continue starts the output with the prompt\'s codes and counts it in the duration', async () => {
    const model = synthesizedPreset('tiny');
    const promptFile = join(work, 'prompt.wav');
    await writeAudio(promptFile, [sine(440, 0.4, 44100)], 44100, { strategy: 'none', wavEncoding: 'float32' });
    const out = join(work, 'cont');
    await runGenerate(['continue this'], { model, continue: promptFile, out, strategy: 'none', duration: '1', seed: '2', quiet: true, threads: '1' });
    const side = JSON.parse(readFileSync(join(out, '00-continue-this.json'), 'utf8'));
    expect(side.frames).toBe(50);
    expect(side.continuation.seconds).toBeCloseTo(0.4, 3);
    // The prompt's own codes, encoded alone at 32 kHz: 0.4 s = 20 frames.
    const mg = await MusicGen.load(model, { threads: 1 });
    const p = await readAudio(promptFile);
    const { convertAudio } = await import('../../src/audio/convertAudio.js');
    const enc = await mg.codec.encode(convertAudio(p.channels, p.sampleRate, 32000, 1));
    expect(enc.frames).toBe(20);
    for (let k = 0; k < 4; k++) expect(side.codes[k].slice(0, 20)).toEqual(Array.from(enc.codes.slice(k * 20, (k + 1) * 20)));
    const wav = await readAudio(join(out, '00-continue-this.wav'));
    expect(wav.channels[0].length).toBe(50 * 640);
  });
});
