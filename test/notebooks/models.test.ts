import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelsBySize, notebookModel, tinyModel } from '../../src/notebook/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'musicgen-nb-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const VARS = ['MUSICGEN_CACHE_DIR', 'MUSICGEN_MODEL', 'MUSICGEN_MELODY_MODEL', 'MUSICGEN_MODELS'] as const;
let saved: Record<string, string | undefined> = {};
beforeEach(() => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  process.env.MUSICGEN_CACHE_DIR = join(tmp, 'cache');
});
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

/** A folder that looks like a model to the notebook helpers (only config.json is read). */
function fakeModel(name: string, modelType: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: modelType }));
  return dir;
}

const decoderOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { decoder: Record<string, number> }).decoder;

describe('notebook models', () => {
  it('builds tiny presets once into the cache, larger ones scaled in width and depth', () => {
    const one = tinyModel('tiny');
    expect(one).toEqual({ dir: join(tmp, 'cache', 'models', 'random-tiny-seed0'), random: true, name: 'random-tiny-seed0' });
    const four = tinyModel('tiny', 4);
    expect(decoderOf(four.dir).hidden_size).toBe(4 * decoderOf(one.dir).hidden_size);
    expect(decoderOf(four.dir).num_hidden_layers).toBe(4 * decoderOf(one.dir).num_hidden_layers);
    expect(modelsBySize().map((m) => m.name)).toEqual(['random-tiny-seed0', 'random-tiny-x2-seed0', 'random-tiny-x4-seed0']);
  });

  it('uses the folders named in the environment, and a melody model only where a melody is needed', () => {
    const small = fakeModel('musicgen-small', 'musicgen');
    const melody = fakeModel('musicgen-melody', 'musicgen_melody');
    process.env.MUSICGEN_MODEL = small;
    expect(notebookModel()).toEqual({ dir: small, random: false, name: 'musicgen-small' });
    // A text-only MUSICGEN_MODEL cannot take a melody: the melody notebook keeps its tiny model.
    expect(notebookModel('melody-tiny').random).toBe(true);
    process.env.MUSICGEN_MODEL = melody;
    expect(notebookModel('melody-tiny').dir).toBe(melody);
    process.env.MUSICGEN_MELODY_MODEL = fakeModel('other-melody', 'musicgen_melody');
    expect(notebookModel('melody-tiny').name).toBe('other-melody');
    process.env.MUSICGEN_MODELS = `${small}, ${melody}`;
    expect(modelsBySize().map((m) => m.dir)).toEqual([small, melody]);
    process.env.MUSICGEN_MODEL = join(tmp, 'missing');
    expect(() => notebookModel()).toThrow(/MUSICGEN_MODEL=.*missing is not a model folder/);
  });
});
