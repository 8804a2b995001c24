import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Why the folder `dir` could not be created (if missing) and written, or null when it can:
 * checked without creating anything, so a command can refuse a bad `--out` before its work
 * starts and still leave nothing behind when a later input turns out bad. The folder itself
 * is made only when the first result is written.
 */
export function outputFolderProblem(dir: string): string | null {
  let at = resolve(dir);
  // The folder, or else its nearest existing ancestor, must be a writable folder.
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  try {
    if (!statSync(at).isDirectory()) return at === resolve(dir) ? `${at} exists and is not a folder` : `${at} is a file, so ${resolve(dir)} cannot be created`;
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `${at} is not writable (${(e as Error).message})`;
  }
  return null;
}
