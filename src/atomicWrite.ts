import { rmSync, renameSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Files replaced whole or not at all: written under a temporary name in the same folder, then
 * renamed over the target (a rename within one file system is atomic), so a reader or a crash
 * never sees half a file. When the write fails the temporary file is removed before the error
 * goes on. `temporary` is `<path>.tmp` unless a caller needs another name: one per process
 * where several processes may write the same file (the token cache), a hidden one where a
 * folder is listed (audio files).
 */

type FileData = string | NodeJS.ArrayBufferView;

/** Runs `write(temporary)`, then renames the temporary file to `path`; removes it on failure. */
export async function replaceFile(path: string, write: (temporary: string) => Promise<void>, temporary = `${path}.tmp`): Promise<void> {
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Writes `data` to `path` atomically (see replaceFile). */
export function writeFileAtomic(path: string, data: FileData, temporary = `${path}.tmp`): Promise<void> {
  return replaceFile(path, (t) => writeFile(t, data), temporary);
}

/** writeFileAtomic for synchronous callers. */
export function writeFileAtomicSync(path: string, data: FileData, temporary = `${path}.tmp`): void {
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}
