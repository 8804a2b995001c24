import type { onnx as onnxTypes } from 'onnx-proto';
import type { OnnxGraph } from './graph.js';

/**
 * Inputs that onnxruntime's CPU kernels prepack from a constant: B of MatMul (MLAS packed GEMM)
 * and of DynamicQuantizeMatMul (packed int8 GEMM). Once every consumer of an initializer has
 * prepacked it, onnxruntime releases the initializer, and with it the file mapping it came from.
 */
const PREPACKED_INPUT: Readonly<Record<string, number>> = { MatMul: 1, DynamicQuantizeMatMul: 1 };

/** One use of a value: the consuming node's op and the input slot. */
interface Use {
  opType: string;
  input: number;
}

function collect(uses: Map<string, Use[]>, name: string, use: Use): void {
  const list = uses.get(name);
  if (list) list.push(use);
  else uses.set(name, [use]);
}

function prepackedOnly(uses: Map<string, Use[]>, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    const u = uses.get(name);
    if (u && u.every((x) => PREPACKED_INPUT[x.opType] === x.input)) out.add(name);
  }
  return out;
}

/**
 * The decoder's weights that go to its `_data` file (docs/MODEL_FORMAT.md): the main graph's
 * initializers that every consumer prepacks (the Linear and LM-head matrices, those the first
 * step's If branch reads included: 97 % of the bytes). onnxruntime maps `_data`, so they never
 * pass through a protobuf read and a malloc copy: the decoder opens in ~1.9 instead of ~7.1 CPU s
 * at small fp32 under the malloc tunables (BENCHMARKS.md, issue 21). Everything a step reads
 * unpacked (token embeddings, LayerNorm weights, q8 scales and zero points) stays inside the
 * .onnx file and becomes ordinary heap memory, as in an embedded decoder. So after the session
 * is created it holds no page of `_data`, and a step's speed cannot depend on the page-cache
 * state of that file: session 6's all-mapped decoder stalled for up to 1 s on a third of its
 * steps in one such state (BENCHMARKS.md "Session 6"). Initializers defined inside the If branch
 * (the encoder projection, 3 MB) stay inside as well: onnxruntime's checker refuses a subgraph's
 * external data when the file has a second hard link (a `cp -al` copy, the hub cache's reuse of
 * unchanged files).
 */
export function prepackedWeights(graph: OnnxGraph): Set<string> {
  const uses = new Map<string, Use[]>();
  const walk = (g: OnnxGraph): void => {
    for (const n of g.nodes) {
      n.inputs.forEach((name, input) => collect(uses, name, { opType: n.opType, input }));
      for (const a of Object.values(n.attrs)) if (a.kind === 'graph') walk(a.value);
    }
  };
  walk(graph);
  return prepackedOnly(uses, graph.initializers.map((t) => t.name));
}

/** The same rule on a decoded ModelProto's graph (rewriting a file written with embedded weights). */
export function prepackedWeightsOfProto(graph: onnxTypes.IGraphProto): Set<string> {
  const uses = new Map<string, Use[]>();
  const names = (graph.initializer ?? []).flatMap((t) => (t.name ? [t.name] : []));
  const walk = (g: onnxTypes.IGraphProto): void => {
    for (const n of g.node ?? []) {
      (n.input ?? []).forEach((name, input) => collect(uses, name, { opType: n.opType ?? '', input }));
      for (const a of n.attribute ?? []) {
        if (a.g) walk(a.g);
        for (const sg of a.graphs ?? []) walk(sg);
      }
    }
  };
  walk(graph);
  return prepackedOnly(uses, names);
}
