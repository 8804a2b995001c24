import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (the folder holding package.json), from src/… under tsx/vitest and from
 * dist/… when built, so bundled files (models/musicgen-small/) are found in both.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('musicgen-ts: cannot find the package root (package.json next to models/)');
}

/** The bundled files of the public musicgen-small release: config, tokenizer (no weights). */
export function bundledMusicgenSmallDir(): string {
  return join(packageRoot(), 'models', 'musicgen-small');
}
