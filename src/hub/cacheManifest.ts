import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomicWrite.js';

/** Written last into a cached model folder: what it holds and where it came from. */
export const MANIFEST_FILE = '.musicgen-hub.json';

export interface CacheManifest {
  repoId: string;
  revision: string;
  commit: string;
  /** 'safetensors' folders were made by our converter from the downloaded checkpoint. */
  source: 'onnx' | 'safetensors';
  /** Dtypes whose files are all present. */
  dtypes: string[];
  /** Every file of the folder with its size, so a damaged cache is noticed without hashing. */
  files: Record<string, number>;
  /** Git blob ids of downloaded files, so a later commit can reuse the unchanged ones. */
  blobIds?: Record<string, string>;
}

function isManifest(v: unknown): v is CacheManifest {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.repoId === 'string' &&
    typeof m.commit === 'string' &&
    (m.source === 'onnx' || m.source === 'safetensors') &&
    Array.isArray(m.dtypes) &&
    typeof m.files === 'object' &&
    m.files !== null
  );
}

/** The folder's manifest, or null when absent or unreadable (the folder is then refetched). */
export function readManifest(dir: string): CacheManifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isManifest(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export function writeManifest(dir: string, manifest: CacheManifest): void {
  const path = join(dir, MANIFEST_FILE);
  writeFileAtomicSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** True when the folder's manifest lists the dtype and every listed file has its recorded size. */
export function cachedFolderHolds(dir: string, dtype: string, commit: string | null): CacheManifest | null {
  const manifest = readManifest(dir);
  if (!manifest || !manifest.dtypes.includes(dtype)) return null;
  if (commit !== null && manifest.commit !== commit) return null;
  for (const [rel, size] of Object.entries(manifest.files)) {
    const path = join(dir, rel);
    if (!existsSync(path) || statSync(path).size !== size) return null;
  }
  return manifest;
}
