import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DECODER_GRAPH_NAME } from '../model/decoderLayout.js';
import { ConversionError, UnsupportedDtypeError } from './errors.js';
import { hasMappedWeights } from './graphFiles.js';
import { kvbufferFromMerged } from './kvbufferFromMerged.js';
import { mapDecoderWeights } from './mapDecoderWeights.js';
import { DTYPE_SUFFIX, OUTPUT_DTYPES, type ConvertProgress, type OutputDtype } from './modelFolder.js';

export interface UpgradeOnnxFolderOptions {
  /** Precisions to handle (default: every one the folder has a decoder of). */
  dtypes?: string[];
  /** Rebuild a kvbuffer decoder from the merged one even when it exists. */
  force?: boolean;
  progress?: ConvertProgress;
}

/** What happened to one precision's kvbuffer decoder. */
export interface DecoderUpgrade {
  dtype: OutputDtype;
  /** built: from the merged decoder; mapped: an embedded file's weights moved to `_data`; current: nothing to do. */
  action: 'built' | 'mapped' | 'current';
}

const file = (layout: 'kvbuffer' | 'merged', dtype: OutputDtype): string => `${DECODER_GRAPH_NAME[layout]}${DTYPE_SUFFIX[dtype]}.onnx`;

/** True when the folder has a decoder this module can build or rewrite. */
export function hasConvertibleDecoder(dir: string): boolean {
  return OUTPUT_DTYPES.some((d) => existsSync(join(dir, 'onnx', file('merged', d))) || existsSync(join(dir, 'onnx', file('kvbuffer', d))));
}

/**
 * `musicgen convert <onnx-dir>`: brings each precision's decoder of an ONNX folder to what the
 * converter writes now. No kvbuffer decoder: built from the merged one (kvbufferFromMerged). One
 * whose weights are inside the .onnx file (musicgen-ts before issue 21): its weights moved to
 * `<file>_data`, unchanged (mapDecoderWeights, seconds; one with every weight there gets the
 * unpacked ones back inside). `force` rebuilds from the merged decoder.
 */
export function upgradeOnnxFolder(dir: string, opts: UpgradeOnnxFolderOptions = {}): DecoderUpgrade[] {
  const onnxDir = join(resolve(dir), 'onnx');
  const present = (d: OutputDtype): boolean => existsSync(join(onnxDir, file('merged', d))) || existsSync(join(onnxDir, file('kvbuffer', d)));
  const dtypes = (opts.dtypes ?? OUTPUT_DTYPES.filter(present)).map((d) => {
    if (!(OUTPUT_DTYPES as readonly string[]).includes(d)) {
      throw new UnsupportedDtypeError(`cannot build our decoder in ${d}; choose one of ${OUTPUT_DTYPES.join(', ')}`);
    }
    return d as OutputDtype;
  });
  if (dtypes.length === 0) throw new ConversionError(`${resolve(dir)}: no decoder_model_merged or decoder_model_kvbuffer graph in onnx/ to convert`);
  return dtypes.map((dtype) => {
    const kvbuffer = join(onnxDir, file('kvbuffer', dtype));
    const merged = existsSync(join(onnxDir, file('merged', dtype)));
    if (!existsSync(kvbuffer) || (opts.force && merged)) {
      kvbufferFromMerged(dir, { dtypes: [dtype], force: opts.force, progress: opts.progress });
      return { dtype, action: 'built' };
    }
    if (!hasMappedWeights(kvbuffer)) opts.progress?.(0, 1, `moving the weights of ${file('kvbuffer', dtype)} to ${file('kvbuffer', dtype)}_data`);
    return { dtype, action: mapDecoderWeights(kvbuffer).length ? 'mapped' : 'current' };
  });
}
