import { attr, ElemType, type Initializer, type OnnxGraph } from '../../src/convert/graph.js';

// Rewrites of our merged decoder graph into the idioms of other exporters, so the weight reader
// (src/convert/mergedDecoderWeights.ts) is tested on graphs it did not write itself:
// - torch.onnx at opset < 17 (optimum's exports): LayerNorm decomposed into ReduceMean/Sub/Pow/
//   Sqrt/Div/Mul/Add; one MatMul per LM head, stacked; Linear weights kept [out, in] + Transpose.
// - onnxruntime's quantize_dynamic (transformers.js's `_quantized` files): DynamicQuantizeLinear ->
//   MatMulInteger -> Cast -> Mul with per-tensor asymmetric uint8 weights.

type Node = OnnxGraph['nodes'][number];

function spec(g: OnnxGraph, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node {
  return { opType, domain: '', name: g.fresh(`x_${opType.toLowerCase()}`), inputs, outputs, attrs };
}

function subgraphs(g: OnnxGraph): OnnxGraph[] {
  return g.nodes.flatMap((n) => Object.values(n.attrs).flatMap((a) => (a.kind === 'graph' ? [a.value] : [])));
}

function findInitializer(root: OnnxGraph, name: string): Initializer | undefined {
  return root.initializers.find((t) => t.name === name) ?? subgraphs(root).map((s) => findInitializer(s, name)).find(Boolean);
}

/** LayerNormalization(x, w, b) -> (x - mean) / sqrt(var + eps) * w + b, as torch.onnx writes it below opset 17. */
export function decomposeLayerNorms(g: OnnxGraph): void {
  subgraphs(g).forEach(decomposeLayerNorms);
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    if (n.opType !== 'LayerNormalization') continue;
    const epsAttr = n.attrs.epsilon;
    const eps = epsAttr?.kind === 'float' ? epsAttr.value : 1e-5;
    const [x, w, b] = n.inputs;
    const v = (h: string): string => g.fresh(h);
    const [mean, d, sq, variance, ve, sd, norm, scaled] = ['mean', 'centred', 'sq', 'var', 've', 'sd', 'norm', 'scaled'].map(v);
    const axes = { axes: attr.ints([-1]), keepdims: attr.int(1) };
    g.nodes.splice(
      i,
      1,
      spec(g, 'ReduceMean', [x], [mean], axes),
      spec(g, 'Sub', [x, mean], [d]),
      spec(g, 'Pow', [d, g.scalarF32(2)], [sq]),
      spec(g, 'ReduceMean', [sq], [variance], axes),
      spec(g, 'Add', [variance, g.scalarF32(eps)], [ve]),
      spec(g, 'Sqrt', [ve], [sd]),
      spec(g, 'Div', [d, sd], [norm]),
      spec(g, 'Mul', [norm, w], [scaled]),
      spec(g, 'Add', [scaled, b], [n.outputs[0]]),
    );
    i += 8;
  }
}

/** The fused [hidden, K*V] head -> K MatMuls [hidden, V] (written in reverse order) concatenated in codebook order. */
export function splitLmHeads(g: OnnxGraph, codebooks: number): void {
  const i = g.nodes.findIndex((n) => n.opType === 'MatMul' && n.inputs[1].startsWith('lm_heads'));
  const n = g.nodes[i];
  const w = findInitializer(g, n.inputs[1])!;
  const [H, KV] = w.dims;
  const V = KV / codebooks;
  const outs: string[] = [];
  const mms: Node[] = [];
  for (let k = 0; k < codebooks; k++) {
    const part = new Float32Array(H * V);
    for (let h = 0; h < H; h++) for (let c = 0; c < V; c++) part[h * V + c] = (w.data as Float32Array)[h * KV + k * V + c];
    outs.push(g.fresh(`head_${k}`));
    mms.push(spec(g, 'MatMul', [n.inputs[0], g.weight(`onnx::MatMul_head${k}`, 'float32', [H, V], part)], [outs[k]]));
  }
  g.nodes.splice(i, 1, ...mms.reverse(), spec(g, 'Concat', outs, [n.outputs[0]], { axis: attr.int(-1) }));
}

/** MatMul weights whose name starts with `prefix` stored [out, in] behind a Transpose. */
export function transposeWeights(g: OnnxGraph, prefix: string, root: OnnxGraph = g): void {
  subgraphs(g).forEach((s) => transposeWeights(s, prefix, root));
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    if (n.opType !== 'MatMul' || !n.inputs[1].startsWith(prefix)) continue;
    const w = findInitializer(root, n.inputs[1])!;
    const [rows, cols] = w.dims;
    const t = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = (w.data as Float32Array)[r * cols + c];
    const stored = root.weight(`${w.name}_out_in`, 'float32', [cols, rows], t);
    const viewed = g.fresh('transposed');
    g.nodes.splice(i, 1, spec(g, 'Transpose', [stored], [viewed], { perm: attr.ints([1, 0]) }), { ...n, inputs: [n.inputs[0], viewed] });
    i++;
  }
}

/** Per-tensor asymmetric uint8, as onnxruntime's quantize_dynamic stores MatMul weights. */
export function quantizeUint8(w: Float32Array): { q: Uint8Array; scale: number; zero: number } {
  const lo = Math.min(0, ...w);
  const hi = Math.max(0, ...w);
  const scale = Math.fround((hi - lo) / 255 || 1);
  const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  const q = Uint8Array.from(w, (x) => Math.min(255, Math.max(0, Math.round(x / scale) + zero)));
  return { q, scale, zero };
}

/** Every MatMul by a 2-D float weight -> DynamicQuantizeLinear, MatMulInteger, Cast, Mul (quantize_dynamic's output). */
export function quantizeDynamicLikeOrt(g: OnnxGraph, root: OnnxGraph = g): void {
  subgraphs(g).forEach((s) => quantizeDynamicLikeOrt(s, root));
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    const w = n.opType === 'MatMul' ? findInitializer(root, n.inputs[1]) : undefined;
    if (!w || w.type !== 'float32' || w.dims.length !== 2) continue;
    const { q, scale, zero } = quantizeUint8(w.data as Float32Array);
    const wq = root.weight(`${w.name}_quantized`, 'uint8', w.dims, q);
    const ws = root.weight(`${w.name}_scale`, 'float32', [], Float32Array.of(scale));
    const wz = root.weight(`${w.name}_zero_point`, 'uint8', [], Uint8Array.of(zero));
    const [xq, xs, xz, mi, cf, sc] = ['xq', 'xs', 'xz', 'mmi', 'cast', 'scales'].map((h) => g.fresh(h));
    g.nodes.splice(
      i,
      1,
      spec(g, 'DynamicQuantizeLinear', [n.inputs[0]], [xq, xs, xz]),
      spec(g, 'MatMulInteger', [xq, wq, xz, wz], [mi]),
      spec(g, 'Cast', [mi], [cf], { to: attr.int(ElemType.float32) }),
      spec(g, 'Mul', [xs, ws], [sc]),
      spec(g, 'Mul', [cf, sc], [n.outputs[0]]),
    );
    i += 4;
  }
}
