import { existsSync } from 'node:fs';
import { OUTPUT_DTYPES } from '../convert/modelFolder.js';
import type { ModelFiles } from '../model/modelFiles.js';

/** A folder path as the user would type it in a shell. */
function shellWord(path: string): string {
  return /^[\w./+-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * One line for stderr when `generate` runs a folder on the transformers.js merged decoder because
 * it has no kvbuffer decoder (2.2x (fp32) to 4.6x (q8) fewer steps per second, BENCHMARKS.md),
 * with the command that builds ours; null when the folder runs ours, the user asked for the
 * merged one, or the precision has no conversion.
 */
export function mergedDecoderHint(files: Pick<ModelFiles, 'dir' | 'dtype' | 'decoderLayout'>, requestedLayout: string | undefined): string | null {
  if (files.decoderLayout !== 'merged' || (requestedLayout ?? 'auto') !== 'auto') return null;
  if (!(OUTPUT_DTYPES as readonly string[]).includes(files.dtype)) return null;
  const dtype = files.dtype === 'fp32' ? '' : ` --dtype ${files.dtype}`;
  return `note: ${files.dir} runs the slow transformers.js merged decoder; build the fast one once with: musicgen convert ${shellWord(files.dir)}${dtype}`;
}

/**
 * One line when `generate` runs our kvbuffer decoder from a file with its weights inside (written
 * by musicgen-ts before issue 21): it opens 2-3x slower than with them in `<file>_data`
 * (BENCHMARKS.md, "Load time"), and `musicgen convert <dir>` moves them once, in seconds.
 */
export function embeddedDecoderHint(files: Pick<ModelFiles, 'dir' | 'dtype' | 'decoderLayout' | 'decoder'>): string | null {
  // No side file at all: the old layout. (One beside a damaged graph is the loader's to report.)
  if (files.decoderLayout !== 'kvbuffer' || existsSync(`${files.decoder}_data`)) return null;
  if (!(OUTPUT_DTYPES as readonly string[]).includes(files.dtype)) return null;
  const dtype = files.dtype === 'fp32' ? '' : ` --dtype ${files.dtype}`;
  return `note: ${files.dir}'s decoder keeps its weights inside the .onnx file and loads 2-3x slower; move them to a side file once with: musicgen convert ${shellWord(files.dir)}${dtype}`;
}
