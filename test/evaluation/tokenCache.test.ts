import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAudio } from '../../src/audio/write.js';
import { runEncode } from '../../src/cli/encode.js';
import { CodecEncoder } from '../../src/evaluation/codecEncoder.js';
import { readDataset, segmentsOf } from '../../src/evaluation/dataset.js';
import { decodeNpy } from '../../src/evaluation/npy.js';
import { codesPath, listCachedSegments, readSegment } from '../../src/evaluation/tokenCache.js';
import { fixtureF32, fixtureI64, type FixtureModel } from '../helpers/fixtures.js';
import { convertedFixture, synthesizedPreset } from '../helpers/models.js';
import { pythonWithNumpy } from '../helpers/numpyPython.js';

const work = mkdtempSync(join(tmpdir(), 'mg-tokens-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under a folder with its modification time. */
function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = statSync(p).mtimeMs;
    }
  };
  walk(dir);
  return out;
}

/** A dataset folder holding the fixtures' 1 s EnCodec test waveform (float32 WAV, bit exact) and its metadata. */
async function referenceDataset(model: FixtureModel): Promise<string> {
  const dir = join(work, `data-${model}`);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const wave = fixtureF32(model, 'encodec.encode.input_values');
  await writeAudio(join(dir, 'sub', 'test.wav'), [wave.data], 32000, { strategy: 'none', wavEncoding: 'float32' });
  writeFileSync(join(dir, 'sub', 'test.json'), JSON.stringify({ description: 'a test tone', genre: 'noise', bpm: 120 }));
  return dir;
}

describe('musicgen encode: the token cache', () => {
  it.each(['musicgen-tiny', 'musicgen-stereo-tiny'] as const)('codes equal the encodec_encode reference (%s), and a second run writes nothing', async (model) => {
    const data = await referenceDataset(model);
    const out = join(work, `tokens-${model}`);
    const first = await runEncode(data, { model: convertedFixture(model), out, quiet: true, threads: 1 });
    expect(first.encoded).toEqual(['sub/test.000']);
    const seg = readSegment(out, 'sub/test.000');
    const ref = fixtureI64(model, 'encodec.encode.audio_codes'); // [1, 1, 4, 50]
    const frames = ref.shape[3];
    expect(seg.info.frames).toBe(frames);
    const stereo = model === 'musicgen-stereo-tiny';
    // Stereo: the mono file is played on both channels, so L and R codebooks both equal the mono codes.
    seg.codes.forEach((row, k) => {
      const q = stereo ? Math.floor(k / 2) : k;
      expect(Array.from(row)).toEqual(ref.data.slice(q * frames, (q + 1) * frames));
    });
    expect(seg.info).toMatchObject({
      id: 'sub/test.000',
      metadata: { description: 'a test tone', genre: 'noise', bpm: 120 },
      num_codebooks: stereo ? 8 : 4,
      audio_channels: stereo ? 2 : 1,
      frame_rate: 50,
      sample_rate: 32000,
      source: join(data, 'sub', 'test.wav'),
      offset: 0,
      duration: 1,
      segment: 0,
      segments: 1,
    });
    const before = snapshot(out);
    const second = await runEncode(data, { model: convertedFixture(model), out, quiet: true, threads: 1 });
    expect(second.encoded).toEqual([]);
    expect(second.skipped).toEqual(['sub/test.000']);
    expect(snapshot(out)).toEqual(before);
  });

  it('NumPy reads the .npy files: int16, shape [K, frames], the same codes', async (ctx) => {
    const py = pythonWithNumpy();
    if (!py) return ctx.skip();
    const data = await referenceDataset('musicgen-stereo-tiny');
    const out = join(work, 'tokens-numpy');
    await runEncode(data, { model: convertedFixture('musicgen-stereo-tiny'), out, quiet: true, threads: 1 });
    const file = codesPath(out, 'sub/test.000');
    const r = spawnSync(py, ['-c', 'import sys, json, numpy as np; a = np.load(sys.argv[1]); print(json.dumps({"dtype": str(a.dtype), "shape": list(a.shape), "c": a.flags["C_CONTIGUOUS"], "values": a.tolist()}))', file], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const np = JSON.parse(r.stdout) as { dtype: string; shape: number[]; c: boolean; values: number[][] };
    expect(np.dtype).toBe('int16');
    expect(np.shape).toEqual([8, 50]);
    expect(np.c).toBe(true);
    expect(np.values).toEqual(readSegment(out, 'sub/test.000').codes.map((row) => Array.from(row)));
  });

  it('cuts items into segments, each encoded on its own; drops a short remainder', async () => {
    const model = synthesizedPreset('tiny');
    const data = join(work, 'long');
    mkdirSync(data, { recursive: true });
    const sr = 44100;
    const tone = Float32Array.from({ length: Math.round(2.5 * sr) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 330 * i) / sr) + 0.1 * Math.sin((2 * Math.PI * 1234 * i) / sr));
    await writeAudio(join(data, 'tone.wav'), [tone], sr, { strategy: 'none', wavEncoding: 'float32' });
    const out = join(work, 'tokens-long');
    const r = await runEncode(data, { model, out, segment: 1, quiet: true, threads: 1 });
    expect(r.encoded).toEqual(['tone.000', 'tone.001']);
    const s1 = readSegment(out, 'tone.001');
    expect(s1.info).toMatchObject({ offset: 1, duration: 1, frames: 50, segments: 2, metadata: {} });
    const enc = CodecEncoder.open(model, { threads: 1 });
    const alone = await enc.encode([tone.subarray(sr, 2 * sr)], sr);
    await enc.dispose();
    expect(s1.codes.map((c) => Array.from(c))).toEqual(alone.map((c) => Array.from(c)));
    const all = await runEncode(data, { model, out: join(work, 'tokens-long-all'), segment: 1, minSegment: 0.5, quiet: true, threads: 1 });
    expect(all.encoded).toEqual(['tone.000', 'tone.001', 'tone.002']);
    expect(readSegment(join(work, 'tokens-long-all'), 'tone.002').info.frames).toBe(25);
    expect(segmentsOf(60, 30, 1).map((s) => s.offset)).toEqual([0, 30]);
  });

  it('a SIGKILLed run leaves no partial .npy; the next run finishes the cache and clears the leftovers', async () => {
    const model = synthesizedPreset('tiny');
    const data = join(work, 'many');
    mkdirSync(data, { recursive: true });
    const sr = 32000;
    for (let i = 0; i < 40; i++) {
      const x = Float32Array.from({ length: 4 * sr }, (_, j) => 0.2 * Math.sin((2 * Math.PI * (200 + 20 * i) * j) / sr));
      await writeAudio(join(data, `clip${String(i).padStart(2, '0')}.wav`), [x], sr, { strategy: 'none' });
    }
    const out = join(work, 'tokens-many');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cliChild.ts'), 'encode', data, '--model', model, '--out', out, '--segment', '1', '--threads', '1', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    const deadline = Date.now() + 60_000;
    const finished = (): string[] => {
      try {
        return listCachedSegments(out);
      } catch {
        return [];
      }
    };
    while (finished().length < 8) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`encode did not get going: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const done = finished();
    expect(done.length).toBeLessThan(160); // killed mid-run
    // Every .npy on disk is whole: it parses, and its shape is [4, 50].
    const npys = Object.keys(snapshot(out)).filter((f) => f.endsWith('.npy'));
    expect(npys.length).toBeGreaterThanOrEqual(done.length);
    for (const f of npys) expect(decodeNpy(readFileSync(join(out, f)), f).shape).toEqual([4, 50]);
    const again = await runEncode(data, { model, out, segment: 1, quiet: true, threads: 1 });
    expect(again.skipped.length).toBe(done.length);
    expect(again.encoded.length + again.skipped.length).toBe(160);
    expect(Object.keys(snapshot(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(listCachedSegments(out).length).toBe(160);
  });
});

describe('datasets as AudioCraft reads them', () => {
  it('a JSONL manifest (plain or gzipped, in the folder or named), metadata beside each file', async () => {
    const dir = join(work, 'manifest');
    mkdirSync(join(dir, 'audio'), { recursive: true });
    const x = new Float32Array(3200).fill(0.1);
    await writeAudio(join(dir, 'audio', 'a.wav'), [x], 32000, { strategy: 'none' });
    await writeAudio(join(dir, 'audio', 'b.wav'), [x], 32000, { strategy: 'none' });
    writeFileSync(join(dir, 'audio', 'b.json'), JSON.stringify({ description: 'second' }));
    const lines = ['{"path": "audio/a.wav", "duration": 0.1, "sample_rate": 32000, "amplitude": null}', `{"path": "${join(dir, 'audio', 'b.wav')}", "duration": 0.1, "sample_rate": 32000}`];
    writeFileSync(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
    const items = readDataset(dir);
    expect(items.map((i) => [i.id, i.duration, i.sampleRate, i.metadata])).toEqual([
      ['audio/a', 0.1, 32000, null],
      ['audio/b', 0.1, 32000, { description: 'second' }],
    ]);
    const gz = join(work, 'other.jsonl.gz');
    writeFileSync(gz, gzipSync(`${lines[1]}\n`));
    expect(readDataset(gz).map((i) => i.path)).toEqual([join(dir, 'audio', 'b.wav')]);
  });
});
