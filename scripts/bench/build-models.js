// Builds (once) the random musicgen-small-sized model folders the decoder benchmark runs on.
// They live outside the repo (MUSICGEN_BENCH_CACHE, default ~/.cache/musicgen-ts/bench): ~2.3 GB
// per folder and ~85 s each to build, so every later `npm run bench` reuses them.
// Run as its own process: building small peaks at ~3.5 GB of RSS, freed when it exits.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { synthesizeModel } from '../../dist/convert/modelFolder.js';

export const BENCH_SEED = 1234;

export function cacheDir() {
  return process.env.MUSICGEN_BENCH_CACHE ?? join(homedir(), '.cache', 'musicgen-ts', 'bench');
}

export function modelDir(preset, dtype) {
  return join(cacheDir(), `${preset}-seed${BENCH_SEED}-${dtype}`);
}

/** A folder counts as built when its config.json exists: synthesizeModel renames into place last. */
export function isBuilt(preset, dtype) {
  return existsSync(join(modelDir(preset, dtype), 'config.json'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const preset = process.argv[2] ?? 'small';
  const dtypes = (process.argv[3] ?? 'fp32,q8').split(',');
  for (const dtype of dtypes) {
    if (isBuilt(preset, dtype)) {
      console.log(`cached: ${modelDir(preset, dtype)}`);
      continue;
    }
    const t0 = performance.now();
    synthesizeModel(preset, modelDir(preset, dtype), { seed: BENCH_SEED, dtype, force: true });
    console.log(`built ${modelDir(preset, dtype)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
