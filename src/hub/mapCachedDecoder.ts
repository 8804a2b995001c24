import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasMappedWeights } from '../convert/graphFiles.js';
import { mapDecoderWeights } from '../convert/mapDecoderWeights.js';
import { DTYPE_SUFFIX, OUTPUT_DTYPES, type OutputDtype } from '../convert/modelFolder.js';
import { DECODER_GRAPH_NAME } from '../model/decoderLayout.js';
import { acquireCacheLock } from './cacheLock.js';
import { cachedFolderHolds, writeManifest, type CacheManifest } from './cacheManifest.js';

/** Our decoder's file in a cached folder when it still holds its weights inside (musicgen-ts before issue 21). */
function embeddedDecoder(dir: string, manifest: CacheManifest, dtype: string): string | null {
  if (!(OUTPUT_DTYPES as readonly string[]).includes(dtype)) return null;
  const rel = `onnx/${DECODER_GRAPH_NAME.kvbuffer}${DTYPE_SUFFIX[dtype as OutputDtype]}.onnx`;
  if (!(rel in manifest.files) || !existsSync(join(dir, rel))) return null;
  return hasMappedWeights(join(dir, rel)) ? null : rel;
}

/**
 * A folder cached by an older musicgen-ts has our decoder with its weights inside the .onnx file,
 * which opens ~3x slower (BENCHMARKS.md, issue 21): moves them to `<file>_data` once, under the
 * repository's lock, and records both files in the manifest (written last: a kill before it
 * leaves a manifest whose sizes no longer match, so the next fetch rebuilds the folder, never
 * uses a half-upgraded one). Seconds, no download. Returns the manifest now on disk.
 */
export async function mapCachedDecoder(
  dir: string,
  manifest: CacheManifest,
  dtype: string,
  lockPath: string,
  label: string,
  log: (message: string) => void,
): Promise<CacheManifest> {
  if (!embeddedDecoder(dir, manifest, dtype)) return manifest;
  const release = await acquireCacheLock(lockPath, label);
  try {
    // Another process may have upgraded or replaced the folder while we waited.
    const current = cachedFolderHolds(dir, dtype, manifest.commit);
    const rel = current && embeddedDecoder(dir, current, dtype);
    if (!current || !rel) return current ?? manifest;
    log(`moving the cached decoder's weights to ${rel}_data (one time, no download): it opens 2-3x faster`);
    const files = { ...current.files };
    for (const f of mapDecoderWeights(join(dir, rel))) files[`onnx/${f}`] = statSync(join(dir, 'onnx', f)).size;
    const upgraded = { ...current, files };
    writeManifest(dir, upgraded);
    return upgraded;
  } finally {
    release();
  }
}
