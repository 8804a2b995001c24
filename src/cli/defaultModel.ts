import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../cacheDir.js';
import { synthesizeModel } from '../convert/modelFolder.js';

/** Seed of the embedded default model: fixed, so every install gets the same folder. */
const DEFAULT_SEED = 0;
const DEFAULT_PRESET = 'tiny';

export { cacheDir };

/**
 * The embedded default model: a tiny seeded random MusicGen with the real T5 tokenizer, built by
 * our converter into the cache on first use. Its output is noise — it shows the pipeline works;
 * point --model at a real folder for music.
 */
export function ensureDefaultModel(log: (msg: string) => void = () => undefined): string {
  const dir = join(cacheDir(), 'models', `random-${DEFAULT_PRESET}-seed${DEFAULT_SEED}`);
  if (!existsSync(join(dir, 'config.json'))) {
    log(`building the embedded default model (random weights, preset ${DEFAULT_PRESET}) in ${dir}\n`);
    synthesizeModel(DEFAULT_PRESET, dir, { seed: DEFAULT_SEED, force: true });
  }
  return dir;
}
