import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
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

function readModel(file: string): onnxTypes.ModelProto & { graph: onnxTypes.GraphProto } {
  let model: onnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(readFileSync(file));
  } catch (e) {
    throw new ConversionError(`${file}: not a readable ONNX file (${(e as Error).message})`);
  }
  if (!model.graph) throw new ConversionError(`${file}: not an ONNX model (no graph)`);
  return model as onnxTypes.ModelProto & { graph: onnxTypes.GraphProto };
}

/**
 * A decoder over the protobuf limit written before issue 21 (medium and large fp32) has every
 * weight in `_data`, the embeddings too: those a step reads unpacked are copied back inside, so no
 * step reads the file (convert/mappedWeights.ts). `_data` stays as it is (a few unused MB), so the
 * one rename of the .onnx file is the whole change. Returns the names written ([] when current).
 */
function inlineUnpackedWeights(file: string): string[] {
  const model = readModel(file);
  const prepacked = prepackedWeightsOfProto(model.graph);
  const moves: onnxTypes.ITensorProto[] = [];
  forEachInitializer(model.graph, (t) => {
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL && t.name && !prepacked.has(t.name)) moves.push(t);
  });
  if (moves.length === 0) return [];
  const fd = openSync(`${file}_data`, 'r');
  try {
    for (const t of moves) {
      const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      const bytes = new Uint8Array(Number(kv.length));
      readSync(fd, bytes, 0, bytes.byteLength, Number(kv.offset ?? 0));
      t.rawData = bytes;
      t.externalData = [];
      t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    }
  } finally {
    closeSync(fd);
  }
  const scratch = graphScratchDir(dirname(file), basename(file));
  try {
    mkdirSync(scratch);
    writeChunks(join(scratch, basename(file)), [onnx.ModelProto.encode(model).finish()]);
    renameSync(join(scratch, basename(file)), file);
    return [basename(file)];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Rewrites a decoder written with its weights inside the .onnx file (musicgen-ts before issue 21)
 * as the converter writes it now: the weights onnxruntime prepacks in `<file>_data`, the rest
 * inside (convert/mappedWeights.ts). No weight is rebuilt or changed, only moved, so the graph
 * computes exactly what it did. Cheap next to a conversion (musicgen-small fp32: reads and writes
 * 1.7 GB once). Atomic: both files appear together (convert/graphFiles.ts). A decoder with every
 * weight in `_data` (over the protobuf limit) gets the unpacked ones back inside instead. Returns
 * the names written, or [] when the file is already in the current layout.
 */
export function mapDecoderWeights(file: string): string[] {
  if (!existsSync(file)) throw new ConversionError(`${file} does not exist`);
  if (hasMappedWeights(file)) return inlineUnpackedWeights(file);
  const onnxDir = dirname(file);
  const name = basename(file);
  removeStaleGraphFiles(onnxDir);
  const model = readModel(file);
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
