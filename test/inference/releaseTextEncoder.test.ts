import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGenerate } from '../../src/cli/generate.js';
import { GraphMismatchError } from '../../src/inference/errors.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { fixtureI64, fixtureTextTokens, flatCodes } from '../helpers/fixtures.js';
import { convertedFixture, synthesizedPreset } from '../helpers/models.js';

// LoadOptions.releaseTextEncoder: the T5 encoder is opened for each call and released after it,
// and the decoder opens at the first call. Peak memory is a benchmark (BENCHMARKS.md); these tests
// pin the behaviour: same tokens, a session really opened per call, decoder errors at the call.

const work = mkdtempSync(join(tmpdir(), 'mg-release-te-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copyFolder(src: string, name: string): string {
  const dir = join(work, name);
  cpSync(src, dir, { recursive: true });
  return dir;
}

const greedyCfg3 = { params: { useSampling: false, cfgCoef: 3, frames: 17 } };

describe('releaseTextEncoder', () => {
  it('reproduces the PyTorch codes on every call, opening the text encoder for each', async () => {
    const model = 'musicgen-tiny';
    const mg = await MusicGen.load(convertedFixture(model), { threads: 1, releaseTextEncoder: true });
    const expected = fixtureI64(model, 'gen_cfg3.codes').data;
    for (let call = 0; call < 2; call++) {
      const r = await mg.generate(fixtureTextTokens(model), greedyCfg3);
      expect(flatCodes(r.codes)).toEqual(expected);
      expect(r.timings.openMs).toBeGreaterThan(0);
    }
    await mg.dispose();
    const resident = await MusicGen.load(convertedFixture(model), { threads: 1 });
    const r = await resident.generate(fixtureTextTokens(model), greedyCfg3);
    expect(flatCodes(r.codes)).toEqual(expected);
    expect(r.timings.openMs).toBe(0);
    await resident.dispose();
  });

  it('holds no text encoder between calls: its file is read again by every call', async () => {
    const dir = copyFolder(synthesizedPreset('tiny'), 'moved-encoder');
    const released = await MusicGen.load(dir, { threads: 1, releaseTextEncoder: true });
    const resident = await MusicGen.load(dir, { threads: 1 });
    const opts = { params: { frames: 5, seed: 1 } };
    const before = await released.generate(['piano'], opts);
    const graph = join(dir, 'onnx', 'text_encoder.onnx');
    renameSync(graph, `${graph}.moved`);
    await expect(released.generate(['piano'], opts)).rejects.toThrow(/text_encoder\.onnx/);
    // The resident session still has it; and the released one recovers once the file is back.
    expect((await resident.generate(['piano'], opts)).codes).toEqual(before.codes);
    renameSync(`${graph}.moved`, graph);
    expect((await released.generate(['piano'], opts)).codes).toEqual(before.codes);
    await Promise.all([released.dispose(), resident.dispose()]);
  });

  it('reports a decoder that does not match config.json at the first call, each time it is tried', async () => {
    const dir = copyFolder(synthesizedPreset('tiny'), 'wrong-layers');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    config.decoder.num_hidden_layers = 3;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const mg = await MusicGen.load(dir, { threads: 1, releaseTextEncoder: true });
    for (let call = 0; call < 2; call++) {
      await expect(mg.generate(['x'], { params: { frames: 3 } })).rejects.toThrow(GraphMismatchError);
    }
    await mg.dispose();
  });

  it('a model disposed before any call releases cleanly', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1, releaseTextEncoder: true });
    await expect(mg.dispose()).resolves.toBeUndefined();
  });

  it('musicgen generate runs with it: the sidecar counts the opens', async () => {
    const out = join(work, 'cli');
    await runGenerate(['x'], { model: synthesizedPreset('tiny'), out, strategy: 'peak', frames: '5', seed: '1', quiet: true, threads: '1' });
    const side = JSON.parse(readFileSync(join(out, '00-x.json'), 'utf8'));
    expect(side.timings.openMs).toBeGreaterThan(0);
    expect(side.timings.textEncoderMs).toBeGreaterThanOrEqual(0);
  });
});
