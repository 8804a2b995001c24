import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where musicgen-ts keeps models it builds or downloads: MUSICGEN_CACHE_DIR, else
 * ~/.cache/musicgen-ts. A neutral module so every layer (hub, cli, notebooks) can use it.
 */
export function cacheDir(): string {
  return process.env.MUSICGEN_CACHE_DIR || join(homedir(), '.cache', 'musicgen-ts');
}
