import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { colourOf } from '../../src/audio/chromagramImage.js';
import { writeAudio } from '../../src/audio/write.js';
import { register as registerChroma, type ChromaReport } from '../../src/cli/chroma.js';
import { register as registerLoudness, type LoudnessReport } from '../../src/cli/loudness.js';
import { fixtureF32, fixtureValue } from '../helpers/fixtures.js';
import { haveTool } from '../helpers/tools.js';
import { fixtureChannels } from './pcm.js';

const dir = mkdtempSync(join(tmpdir(), 'musicgen-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  let text = '';
  const out = { write: (s: string) => void (text += s) };
  const program = new Command().exitOverride();
  registerChroma(program, out);
  registerLoudness(program, out);
  await program.parseAsync(['node', 'musicgen', ...args]);
  return text;
}

describe('musicgen chroma', () => {
  it('--json gives the reference one-hot chroma of the arpeggio (C E G C)', async () => {
    const wav = await writeAudio(join(dir, 'arp.wav'), fixtureChannels('arpeggio_32k.pcm'), 32000, { strategy: 'none', wavEncoding: 'float32' });
    const report = JSON.parse(await run(['chroma', wav, '--json'])) as ChromaReport;
    const ref = fixtureF32('dsp', 'arpeggio_32k.chroma_argmax');
    expect(report.frames).toBe(ref.shape[1]);
    expect(report.chroma.flat()).toEqual(Array.from(ref.data));
    expect(report.kind).toBe('one-hot');
    expect([3, 9, 15, 21].map((t) => report.dominant[t])).toEqual(['C', 'E', 'G', 'C']);
  });

  it('--raw prints inf-normalised values in a table', async () => {
    const text = await run(['chroma', join(dir, 'arp.wav'), '--raw']);
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/time \(s\)\s+dominant\s+C\s+C#/);
    expect(lines.length).toBe(1 + 24);
    expect(lines[1]).toMatch(/^\s+0\.000\s+C\s+1\.00/);
  });

  it.skipIf(!haveTool('ffmpeg', 'independent PNG decoder'))('--png writes a chromagram that ffmpeg decodes to the expected pixels', async () => {
    const png = join(dir, 'arp.png');
    await run(['chroma', join(dir, 'arp.wav'), '--png', png]);
    // 24 frames -> 8 px per frame (capped), 12 x 16 px rows: 192 x 192.
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 24 });
    expect(r.status).toBe(0);
    const pixels = r.stdout;
    expect(pixels.length).toBe(192 * 192 * 3);
    const at = (x: number, y: number): number[] => Array.from(pixels.subarray((y * 192 + x) * 3, (y * 192 + x) * 3 + 3));
    // Frame 3 is C (bottom row lit), frame 9 is E (row 4 from the bottom).
    expect(at(3 * 8 + 4, 191 - 8)).toEqual(colourOf(1));
    expect(at(3 * 8 + 4, 191 - 4 * 16 - 8)).toEqual(colourOf(0));
    expect(at(9 * 8 + 4, 191 - 4 * 16 - 8)).toEqual(colourOf(1));
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it('fails with the reader\'s message for a missing file', async () => {
    await expect(run(['chroma', join(dir, 'missing.wav')])).rejects.toThrow(/missing\.wav: no such file/);
  });
});

describe('musicgen loudness', () => {
  it('--json reports the torchaudio loudness of the 48 kHz stereo sine', async () => {
    const ref = fixtureValue<{ float64: number }>('dsp', 'sine1k_m20dBFS_48k_stereo.loudness_lkfs');
    const wav = await writeAudio(join(dir, 'sine.wav'), fixtureChannels('sine1k_m20dBFS_48k_stereo.pcm'), 48000, { strategy: 'none', wavEncoding: 'float32' });
    const report = JSON.parse(await run(['loudness', wav, '--json'])) as LoudnessReport;
    expect(Math.abs((report.lufs ?? NaN) - ref.float64)).toBeLessThan(1e-4);
    expect(report.samplePeakDbfs).toBeCloseTo(-20, 2);
    expect(report).toMatchObject({ sampleRate: 48000, channels: 2, durationSeconds: 3 });
  });

  it('prints a readable summary, and -inf for silence', async () => {
    expect(await run(['loudness', join(dir, 'sine.wav')])).toMatch(/integrated loudness\s+-20\.03 LUFS\n\s+sample peak\s+-20\.00 dBFS\n\s+2 ch, 48000 Hz, 3\.00 s/);
    const silent = await writeAudio(join(dir, 'silent.wav'), [new Float32Array(48000)], 48000);
    expect(JSON.parse(await run(['loudness', silent, '--json']))).toMatchObject({ lufs: null, samplePeakDbfs: null });
  });
});
