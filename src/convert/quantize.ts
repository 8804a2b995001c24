import type { Initializer, OnnxGraph } from './graph.js';

/** Weights smaller than this stay float32: the saving is nil and small layers are precision-sensitive. */
const MIN_QUANT_ELEMENTS = 4096;

/**
 * Symmetric per-output-column int8 quantisation of a [K, N] MatMul weight: scale_n = max|w[:, n]| / 127,
 * zero point 0 (com.microsoft DynamicQuantizeMatMul takes int8 weights with per-column scales).
 */
export function quantizeColumnsInt8(w: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(w[r * cols + c]);
      if (a > scale[c]) scale[c] = a;
    }
  }
  for (let c = 0; c < cols; c++) scale[c] = scale[c] > 0 ? scale[c] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(w[r * cols + c] / scale[c])));
  }
  return { q, scale };
}

/** Int8 or uint8 weights with per-column scales and zero points (what DynamicQuantizeMatMul takes). */
export interface QuantizedMatrix {
  q: Int8Array | Uint8Array;
  scale: Float32Array;
  zero: Int8Array | Uint8Array;
}

/**
 * Decides how a [rows, cols] MatMul weight is quantised: a result, or null to keep it float32.
 * The default is quantizeColumnsInt8 for weights of at least MIN_QUANT_ELEMENTS.
 */
export type MatrixQuantizer = (w: Float32Array, rows: number, cols: number) => QuantizedMatrix | null;

function walk(g: OnnxGraph, visit: (graph: OnnxGraph) => void): void {
  visit(g);
  for (const n of g.nodes) for (const a of Object.values(n.attrs)) if (a.kind === 'graph') walk(a.value, visit);
}

/**
 * Rewrites every MatMul whose right operand is a large float32 weight into
 * com.microsoft DynamicQuantizeMatMul with int8 weights: activations are quantised per call, the
 * weight stream (what bounds a CPU decode step) shrinks 4x. Embeddings and LayerNorms stay float32.
 * Works in place on the graph, including If branches that read outer-scope weights.
 */
export function quantizeDecoderGraph(root: OnnxGraph, opts: { minElements?: number; quantizer?: MatrixQuantizer } = {}): OnnxGraph {
  const minElements = opts.minElements ?? MIN_QUANT_ELEMENTS;
  const quantizer: MatrixQuantizer =
    opts.quantizer ?? ((w, rows, cols) => (w.length < minElements ? null : { ...quantizeColumnsInt8(w, rows, cols), zero: new Int8Array(cols) }));
  const byName = new Map<string, Initializer>();
  walk(root, (g) => g.initializers.forEach((t) => byName.set(t.name, t)));
  const replaced = new Map<string, { q: string; scale: string; zero: string }>();
  const dropped = new Set<string>();
  walk(root, (g) => {
    for (const node of g.nodes) {
      if (node.opType !== 'MatMul' || node.domain !== '') continue;
      const wName = node.inputs[1];
      const w = byName.get(wName);
      if (!w || w.type !== 'float32' || w.dims.length !== 2) continue;
      let qi = replaced.get(wName);
      if (!qi) {
        const [rows, cols] = w.dims;
        const m = quantizer(w.data as Float32Array, rows, cols);
        if (!m) continue;
        const type = m.q instanceof Int8Array ? 'int8' : 'uint8';
        // Quantised weights live in the root graph so every branch can read them.
        qi = {
          q: root.weight(`${wName}_q8`, type, [rows, cols], m.q),
          scale: root.weight(`${wName}_scale`, 'float32', [cols], m.scale),
          zero: root.weight(`${wName}_zero`, type, [cols], m.zero),
        };
        replaced.set(wName, qi);
        dropped.add(wName);
      }
      node.opType = 'DynamicQuantizeMatMul';
      node.domain = 'com.microsoft';
      node.inputs = [node.inputs[0], qi.q, qi.scale, qi.zero];
    }
  });
  // Drop the float originals, unless some other node still reads them.
  const stillUsed = new Set<string>();
  walk(root, (g) => g.nodes.forEach((n) => n.inputs.forEach((i) => stillUsed.add(i))));
  walk(root, (g) => {
    const keep = g.initializers.filter((t) => !dropped.has(t.name) || stillUsed.has(t.name));
    g.initializers.length = 0;
    g.initializers.push(...keep);
  });
  return root;
}
