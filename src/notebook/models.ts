/**
 * Model folders for the notebooks: a real folder when the researcher names one in the
 * environment, otherwise a tiny seeded random model built into the cache (noise, but every
 * cell runs in a second or two, which is what CI and a first read need).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../cacheDir.js';
import { synthesizeFromConfig } from '../convert/modelFolder.js';
import { presetConfig } from '../convert/presets.js';

export type TinyPreset = 'tiny' | 'melody-tiny' | 'stereo-tiny';

/** Where a notebook's model comes from, for the markdown/printout. */
export interface NotebookModel {
  dir: string;
  /** True for the random tiny models: their audio is noise. */
  random: boolean;
  name: string;
}

/** Builds (once) a tiny preset with a decoder `scale` times wider and deeper, in the cache. */
export function tinyModel(preset: TinyPreset = 'tiny', scale = 1, seed = 0): NotebookModel {
  const name = scale === 1 ? `random-${preset}-seed${seed}` : `random-${preset}-x${scale}-seed${seed}`;
  const dir = join(cacheDir(), 'models', name);
  if (!existsSync(join(dir, 'config.json'))) {
    const cfg = presetConfig(preset, seed);
    if (scale !== 1) {
      // Sizes for speed/memory comparisons: width and depth grow like small -> medium -> large.
      const decoder = cfg.decoder as Record<string, number>;
      decoder.hidden_size *= scale;
      decoder.ffn_dim *= scale;
      decoder.num_hidden_layers *= scale;
    }
    synthesizeFromConfig(cfg, dir, { seed, force: true });
  }
  return { dir, random: true, name };
}

/**
 * The model a notebook runs: $MUSICGEN_MODEL (a MusicGen ONNX folder) when set, else the tiny
 * preset. `envVar` lets a notebook that needs a melody model read $MUSICGEN_MELODY_MODEL first.
 */
export function notebookModel(preset: TinyPreset = 'tiny', envVar = 'MUSICGEN_MODEL'): NotebookModel {
  const fromEnv = process.env[envVar] || (envVar !== 'MUSICGEN_MODEL' ? process.env.MUSICGEN_MODEL : undefined);
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'config.json'))) throw new Error(`${envVar}=${fromEnv} is not a model folder (no config.json)`);
    return { dir: fromEnv, random: false, name: fromEnv.split(/[\\/]/).filter(Boolean).pop() ?? fromEnv };
  }
  return tinyModel(preset);
}

/**
 * Models to compare by size: the folders in $MUSICGEN_MODELS (comma-separated, e.g. small,medium
 * and large), else the tiny preset at 1x, 2x and 4x decoder size.
 */
export function modelsBySize(): NotebookModel[] {
  const list = (process.env.MUSICGEN_MODELS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > 0) {
    return list.map((dir) => {
      if (!existsSync(join(dir, 'config.json'))) throw new Error(`MUSICGEN_MODELS: ${dir} is not a model folder`);
      return { dir, random: false, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir };
    });
  }
  return [1, 2, 4].map((scale) => tinyModel('tiny', scale));
}
