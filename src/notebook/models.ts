/**
 * Model folders for the notebooks: a real folder when the researcher names one in the
 * environment, otherwise a tiny seeded random model built into the cache (noise, but every
 * cell runs in a second or two, which is what CI and a first read need).
 */
import { existsSync, readFileSync } from 'node:fs';
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

function fromFolder(dir: string, envVar: string): NotebookModel {
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`${envVar}=${dir} is not a model folder (no config.json)`);
  return { dir, random: false, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir };
}

function isMelodyModel(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: string }).model_type === 'musicgen_melody';
  } catch {
    return false;
  }
}

/**
 * The model a notebook runs: $MUSICGEN_MODEL (a MusicGen ONNX folder) when set, else the tiny
 * preset. Melody notebooks read $MUSICGEN_MELODY_MODEL, then $MUSICGEN_MODEL if that folder is a
 * melody model (a text-only model cannot take a melody), else the tiny melody preset.
 */
export function notebookModel(preset: TinyPreset = 'tiny'): NotebookModel {
  if (preset === 'melody-tiny') {
    if (process.env.MUSICGEN_MELODY_MODEL) return fromFolder(process.env.MUSICGEN_MELODY_MODEL, 'MUSICGEN_MELODY_MODEL');
    const general = process.env.MUSICGEN_MODEL;
    if (general && isMelodyModel(general)) return fromFolder(general, 'MUSICGEN_MODEL');
    return tinyModel(preset);
  }
  return process.env.MUSICGEN_MODEL ? fromFolder(process.env.MUSICGEN_MODEL, 'MUSICGEN_MODEL') : tinyModel(preset);
}

/**
 * Models to compare by size: the folders in $MUSICGEN_MODELS (comma-separated, e.g. small,medium
 * and large), else the tiny preset at 1x, 2x and 4x decoder size.
 */
export function modelsBySize(): NotebookModel[] {
  const list = (process.env.MUSICGEN_MODELS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > 0) {
    return list.map((dir) => {
      return fromFolder(dir, 'MUSICGEN_MODELS entry');
    });
  }
  return [1, 2, 4].map((scale) => tinyModel('tiny', scale));
}
