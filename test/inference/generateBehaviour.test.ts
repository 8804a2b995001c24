import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AbortError, GenerationInputError, GraphMismatchError } from '../../src/inference/errors.js';
import { MissingModelFileError } from '../../src/model/errors.js';
import { InvalidGenerationParamError } from '../../src/inference/generationParams.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { runGenerate, OutputPathError } from '../../src/cli/generate.js';
import { synthesizedPreset } from '../helpers/models.js';

const work = mkdtempSync(join(tmpdir(), 'mg-gen-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('generation behaviour on a random tiny model', () => {
  it('same seed -> identical codes; another seed -> different codes; the seed is reported', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const opts = { params: { frames: 30, seed: 1234 } };
    const a = await mg.generate(['calm piano', 'fast drums'], opts);
    const b = await mg.generate(['calm piano', 'fast drums'], opts);
    const c = await mg.generate(['calm piano', 'fast drums'], { params: { frames: 30, seed: 99 } });
    expect(a.codes).toEqual(b.codes);
    expect(a.codes).not.toEqual(c.codes);
    expect(a.params.seed).toBe(1234);
    // Sampling, not argmax: the two codebook-0 streams are not constant.
    expect(new Set(a.codes[0][0]).size).toBeGreaterThan(3);
    const unseeded = await mg.generate(['calm piano'], { params: { frames: 10 } });
    const replay = await mg.generate(['calm piano'], { params: { frames: 10, seed: unseeded.params.seed } });
    expect(replay.codes).toEqual(unseeded.codes);
  });

  it('an item gets the same codes alone as in a batch with the same seed (per-item streams)', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const batch = await mg.generate(['calm piano', 'fast drums'], { params: { frames: 20, seed: 5 } });
    const alone = await mg.generate(['calm piano'], { params: { frames: 20, seed: 5 } });
    expect(alone.codes[0]).toEqual(batch.codes[0]);
  });

  it('takes one description as a string (transformers.js) as well as a list (AudioCraft)', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const opts = { params: { frames: 12, seed: 8 } };
    const one = await mg.generate('solo piano', opts);
    const list = await mg.generate(['solo piano'], opts);
    expect(one.codes.length).toBe(1);
    expect(one.codes).toEqual(list.codes);
  });

  it('reports progress up to (total, total) and returns the requested length', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const seen: Array<[number, number]> = [];
    const r = await mg.generate(['x'], { params: { duration: 0.5 }, progress: (d, t) => seen.push([d, t]) });
    const total = 25 + 3;
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.length).toBe(total);
    expect(r.frames).toBe(25);
    expect(r.audio[0][0].length).toBe(25 * 640);
  });

  it('collects garbage (where node exposes gc) after the token loop, before EnCodec decodes', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const events: string[] = [];
    const g = globalThis as { gc?: () => void };
    const saved = g.gc;
    g.gc = () => events.push('gc');
    const decode = mg.codec.decode.bind(mg.codec);
    mg.codec.decode = (...a) => {
      events.push('codec');
      return decode(...a);
    };
    try {
      await mg.generate(['calm piano'], { params: { frames: 8, seed: 1 }, progress: (d, t) => d === t && events.push('last step') });
    } finally {
      g.gc = saved;
    }
    expect(events).toEqual(['last step', 'gc', 'codec']);
  });

  it('two-step CFG honours the caller\'s cfgCoef and equals the doubled batch', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const one = await mg.generate(['rock'], { params: { frames: 15, useSampling: false, cfgCoef: 5 } });
    const two = await mg.generate(['rock'], { params: { frames: 15, useSampling: false, cfgCoef: 5, twoStepCfg: true } });
    const other = await mg.generate(['rock'], { params: { frames: 15, useSampling: false, cfgCoef: 1.5, twoStepCfg: true } });
    expect(two.codes).toEqual(one.codes);
    expect(other.codes).not.toEqual(two.codes);
  });

  it('aborting mid-generation rejects with AbortError and the CLI creates nothing', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const controller = new AbortController();
    const p = mg.generate(['x'], { params: { frames: 200 }, signal: controller.signal, progress: (d) => d === 10 && controller.abort() });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    // 200 frames + 3 delays: the error says which step of how many, in one printed line.
    const err = (await p.catch((e: unknown) => e)) as AbortError;
    expect(err.message).toBe('generation interrupted at step 10 of 203');
    expect(inspect(err)).toBe('AbortError: generation interrupted at step 10 of 203');

    const out = join(work, 'aborted');
    const cli = runGenerate(['x'], { model: synthesizedPreset('tiny'), out, strategy: 'peak', frames: '400', quiet: true, threads: '1' });
    setTimeout(() => process.emit('SIGINT'), 150);
    await expect(cli).rejects.toBeInstanceOf(AbortError);
    expect(existsSync(out)).toBe(false); // not even the folder: it is made when results are written
  });

  it('both decoder layouts of one model sample the same codes; the CLI records which one ran', async () => {
    const dir = synthesizedPreset('tiny', 0, 'both');
    const kv = await MusicGen.load(dir, { threads: 1 });
    const merged = await MusicGen.load(dir, { threads: 1, decoderLayout: 'merged' });
    expect([kv.files.decoderLayout, merged.files.decoderLayout]).toEqual(['kvbuffer', 'merged']);
    // 150 frames: past the KV buffer's first chunk of 128 positions, so it grows once.
    const opts = { params: { frames: 150, seed: 3, cfgCoef: 3 } };
    const a = await kv.generate(['calm piano', 'fast drums'], opts);
    const b = await merged.generate(['calm piano', 'fast drums'], opts);
    expect(a.codes).toEqual(b.codes);
    const out = join(work, 'cli-merged');
    const [wav] = await runGenerate(['x'], { model: dir, out, strategy: 'peak', frames: '5', quiet: true, threads: '1', decoderLayout: 'merged' });
    expect(JSON.parse(readFileSync(wav.replace(/\.wav$/, '.json'), 'utf8')).decoderLayout).toBe('merged');
  });

  it('the CLI writes one wav and one JSON sidecar per prompt with params, seed and codes', async () => {
    const out = join(work, 'cli');
    const paths = await runGenerate(['soft strings', 'loud brass'], {
      model: synthesizedPreset('tiny'),
      out,
      strategy: 'peak',
      duration: '0.4',
      seed: '7',
      quiet: true,
      threads: '1',
    });
    expect(paths.length).toBe(2);
    expect(readdirSync(out).sort()).toEqual(['00-soft-strings.json', '00-soft-strings.wav', '01-loud-brass.json', '01-loud-brass.wav']);
    const side = JSON.parse(readFileSync(join(out, '01-loud-brass.json'), 'utf8'));
    expect(side.prompt).toBe('loud brass');
    expect(side.params.seed).toBe(7);
    expect(side.frames).toBe(20);
    expect(side.codes.length).toBe(4);
    expect(side.codes[0].length).toBe(20);
  });
});

describe('bad input', () => {
  it('missing model files name the file and list what is there', async () => {
    const dir = join(work, 'partial-model');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    const src = synthesizedPreset('tiny');
    copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(src, 'onnx', 'text_encoder.onnx'), join(dir, 'onnx', 'text_encoder.onnx'));
    await expect(MusicGen.load(dir)).rejects.toThrow(MissingModelFileError);
    await expect(MusicGen.load(dir)).rejects.toThrow(/missing onnx\/decoder_model_kvbuffer\.onnx or onnx\/decoder_model_merged\.onnx/);
    await expect(MusicGen.load(src, { dtype: 'q8' })).rejects.toThrow(/decoder_model_merged_quantized\.onnx \(dtype q8\); decoder files present: decoder_model_kvbuffer\.onnx/);
    // Our folders hold the kvbuffer decoder only unless converted with decoderLayout "both".
    await expect(MusicGen.load(src, { decoderLayout: 'merged' })).rejects.toThrow(/missing onnx\/decoder_model_merged\.onnx .*has the kvbuffer decoder: pass decoderLayout "kvbuffer" or "auto"/);
    await expect(MusicGen.load(src, { decoderLayout: 'fast' })).rejects.toThrow(/unknown decoder layout "fast"; choose one of auto, kvbuffer, merged/);
    await expect(MusicGen.load(join(work, 'nope'))).rejects.toThrow(/does not exist/);
  });

  it('a graph whose inputs do not match config.json is rejected with the file and the field', async () => {
    const dir = join(work, 'mismatch');
    const src = synthesizedPreset('tiny');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of readdirSync(join(src, 'onnx'))) copyFileSync(join(src, 'onnx', f), join(dir, 'onnx', f));
    const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
    config.decoder.num_hidden_layers = 3;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    await expect(MusicGen.load(dir)).rejects.toThrow(GraphMismatchError);
    await expect(MusicGen.load(dir)).rejects.toThrow(/decoder_model_kvbuffer\.onnx: graph inputs lack "past_key_values\.2\.decoder\.key".*num_hidden_layers = 3/);
  });

  it('an empty prompt list, bad token ids and out-of-range params are rejected clearly', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    await expect(mg.generate([])).rejects.toThrow(GenerationInputError);
    await expect(mg.generate({ inputIds: [[1, 2]], attentionMask: [[1]] })).rejects.toThrow(/same length/);
    await expect(mg.generate({ inputIds: [[999999]], attentionMask: [[1]] })).rejects.toThrow(/outside the text encoder's vocabulary/);
    expect(() => mg.setGenerationParams({ topP: 1.5 })).toThrow(InvalidGenerationParamError);
    expect(() => mg.setGenerationParams({ temperature: -1 })).toThrow(/temperature/);
    expect(() => mg.setGenerationParams({ top_k: 5 } as never)).toThrow(/did you mean topK/);
    await expect(mg.generate(['x'], { params: { frames: 0 } })).rejects.toThrow(/frames/);
  });

  it('an unwritable output path fails before any model work', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    await expect(runGenerate(['x'], { model: join(work, 'does-not-exist'), out: file, strategy: 'peak', quiet: true })).rejects.toThrow(OutputPathError);
    const ro = join(work, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    if (process.getuid?.() !== 0) {
      await expect(runGenerate(['x'], { model: join(work, 'none'), out: join(ro, 'sub'), strategy: 'peak', quiet: true })).rejects.toThrow(OutputPathError);
    }
    expect(existsSync(join(ro, 'sub'))).toBe(false);
  });
});
