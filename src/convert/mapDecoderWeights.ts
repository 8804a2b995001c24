import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { onnx as onnxTypes } from 'onnx-proto';
import { ConversionError } from './errors.js';
import { onnxTypes as onnx } from './graph.js';
import { graphScratchDir, hasMappedWeights, installGraphFiles, removeStaleGraphFiles } from './graphFiles.js';
import { prepackedWeightsOfProto } from './mappedWeights.js';
import { ExternalSink, writeChunks } from './serialize.js';

/** In the order serialize.ts appends them to `_data` (subgraphs first), so the side file is the converter's. */
function forEachInitializer(g: onnxTypes.IGraphProto, fn: (t: onnxTypes.ITensorProto) => void): void {
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.g) forEachInitializer(a.g, fn);
      for (const sg of a.graphs ?? []) forEachInitializer(sg, fn);
    }
  }
  for (const t of g.initializer ?? []) fn(t);
}

/**
 * Rewrites a decoder written with its weights inside the .onnx file (musicgen-ts before issue 21)
 * as the converter writes it now: the weights onnxruntime prepacks in `<file>_data`, the rest
 * inside (convert/mappedWeights.ts). No weight is rebuilt or changed, only moved, so the graph
 * computes exactly what it did. Cheap next to a conversion (musicgen-small fp32: reads and writes
 * 1.7 GB once). Atomic: both files appear together (convert/graphFiles.ts). Returns the names
 * written, or [] when the file already maps its weights.
 */
export function mapDecoderWeights(file: string): string[] {
  if (!existsSync(file)) throw new ConversionError(`${file} does not exist`);
  if (hasMappedWeights(file)) return [];
  const onnxDir = dirname(file);
  const name = basename(file);
  removeStaleGraphFiles(onnxDir);
  let model: onnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(readFileSync(file));
  } catch (e) {
    throw new ConversionError(`${file}: not a readable ONNX file (${(e as Error).message})`);
  }
  if (!model.graph) throw new ConversionError(`${file}: not an ONNX model (no graph)`);
  const sink = new ExternalSink(`${name}_data`, prepackedWeightsOfProto(model.graph));
  forEachInitializer(model.graph, (t) => {
    const bytes = t.rawData;
    if (!t.name || !bytes || !sink.takes(t.name, bytes.byteLength)) return;
    Object.assign(t, sink.reference(bytes));
    t.rawData = new Uint8Array(0);
  });
  if (sink.offset === 0) return [];
  const scratch = graphScratchDir(onnxDir, name);
  try {
    mkdirSync(scratch);
    writeChunks(join(scratch, `${name}_data`), sink.chunks);
    writeChunks(join(scratch, name), [onnx.ModelProto.encode(model).finish()]);
    return installGraphFiles(scratch, name, onnxDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
