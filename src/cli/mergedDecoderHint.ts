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
