import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kvbufferFromMerged } from '../convert/kvbufferFromMerged.js';
import { mapDecoderWeights } from '../convert/mapDecoderWeights.js';
import { DTYPE_SUFFIX, OUTPUT_DTYPES, type OutputDtype } from '../convert/modelFolder.js';
import { DECODER_GRAPH_NAME } from '../model/decoderLayout.js';

/**
 * A downloaded transformers.js folder (e.g. Xenova/musicgen-small) holds only the merged decoder:
 * builds our kvbuffer decoder from its weights in the staging folder before it is installed, so
 * every fetched folder runs the fast decoder (docs/MODEL_FORMAT.md). Returns the files added
 * (relative paths); none for precisions we cannot convert or repositories that ship ours.
 */
export function addFastDecoder(staging: string, dtype: string, log: (message: string) => void): string[] {
  if (!(OUTPUT_DTYPES as readonly string[]).includes(dtype)) return [];
  const suffix = DTYPE_SUFFIX[dtype as OutputDtype];
  const merged = join(staging, 'onnx', `${DECODER_GRAPH_NAME.merged}${suffix}.onnx`);
  const rel = `onnx/${DECODER_GRAPH_NAME.kvbuffer}${suffix}.onnx`;
  if (!existsSync(merged)) return [];
  // Installed with its `_data` side file after it (convert/graphFiles.ts): one left by an
  // interrupted fetch of this commit is complete; an embedded one (an older musicgen-ts) is
  // rewritten with its weights mapped.
  if (existsSync(join(staging, rel))) {
    mapDecoderWeights(join(staging, rel));
    return existsSync(join(staging, `${rel}_data`)) ? [rel, `${rel}_data`] : [rel];
  }
  log(`building our kvbuffer decoder (2-5x faster) from ${DECODER_GRAPH_NAME.merged}${suffix}.onnx`);
  return kvbufferFromMerged(staging, {
    dtypes: [dtype],
    progress: (done, total, stage) => {
      if (stage.startsWith('reading')) log(`converting: ${stage}`);
    },
  });
}
