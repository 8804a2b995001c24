import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { onnxTypes as onnx } from '../../src/convert/graph.js';
import type { onnx as onnxTypes } from 'onnx-proto';

/** Every initializer of a graph and its subgraphs (main: of the graph itself), with each use as `op#slot` (`If>op#slot` inside a branch). */
export function initializerUses(g: onnxTypes.IGraphProto): Array<{ tensor: onnxTypes.ITensorProto; uses: string[]; main: boolean }> {
  const uses = new Map<string, string[]>();
  const tensors: onnxTypes.ITensorProto[] = [];
  const walk = (x: onnxTypes.IGraphProto, prefix: string): void => {
    tensors.push(...(x.initializer ?? []));
    for (const n of x.node ?? []) {
      (n.input ?? []).forEach((name, i) => uses.set(name, [...(uses.get(name) ?? []), `${prefix}${n.opType}#${i}`]));
      for (const a of n.attribute ?? []) if (a.g) walk(a.g, `${prefix}${n.opType}>`);
    }
  };
  walk(g, '');
  const main = new Set(g.initializer ?? []);
  return tensors.map((tensor) => ({ tensor, uses: uses.get(tensor.name ?? '') ?? [], main: main.has(tensor) }));
}

export const isExternal = (t: onnxTypes.ITensorProto): boolean => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;

/**
 * Puts a graph's `<file>_data` weights back inside the .onnx file and deletes the side file: the
 * decoder layout musicgen-ts wrote before issue 21 (embedded weights), for tests of old folders.
 */
export function embedWeights(file: string): void {
  const model = onnx.ModelProto.decode(readFileSync(file));
  const data = readFileSync(`${file}_data`);
  for (const { tensor } of initializerUses(model.graph!)) {
    if (!isExternal(tensor)) continue;
    const kv = Object.fromEntries((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const offset = Number(kv.offset ?? 0);
    tensor.rawData = data.subarray(offset, offset + Number(kv.length));
    tensor.externalData = [];
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  rmSync(`${file}_data`);
}
