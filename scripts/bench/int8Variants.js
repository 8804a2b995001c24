// Int8 (and 4-bit) rewrites of the weight MatMuls of an OnnxGraph, one per formulation that
// onnxruntime-node 1.30 can run. Used by int8-formulations.js (decoder slice) and by bench.js
// (full musicgen-small-sized decoder with the best formulation). Benchmark code, not product code:
// src/convert/quantize.ts stays the converter's single q8 path until the lead picks a formulation.
import { attr } from '../../dist/convert/graph.js';

/** Symmetric per-output-column int8 of a [K, N] weight (what src/convert/quantize.ts does). */
export function quantizeColumns(w, K, N) {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) {
      const a = Math.abs(w[row + n]);
      if (a > scale[n]) scale[n] = a;
    }
  }
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) q[row + n] = Math.max(-127, Math.min(127, Math.round(w[row + n] / scale[n])));
  }
  return { q, scale };
}

/**
 * com.microsoft MatMulNBits packing of a [K, N] weight: B is uint8 [N, nBlocks, blockSize*bits/8]
 * (codes along K, low bits first), scales [N * nBlocks], symmetric (code = q + 2^(bits-1), which is
 * also the operator's default zero point, so no zero_points input is passed).
 */
export function packNBits(w, K, N, bits, blockSize) {
  const nBlocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const qmax = 2 ** (bits - 1) - 1;
  const zp = 2 ** (bits - 1);
  const B = new Uint8Array(N * nBlocks * blob);
  const scales = new Float32Array(N * nBlocks);
  const codes = new Uint8Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nBlocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let amax = 0;
      for (let k = k0; k < k1; k++) amax = Math.max(amax, Math.abs(w[k * N + n]));
      const s = amax > 0 ? amax / qmax : 1;
      scales[n * nBlocks + b] = s;
      codes.fill(zp);
      for (let k = k0; k < k1; k++) codes[k - k0] = Math.max(-zp, Math.min(qmax, Math.round(w[k * N + n] / s))) + zp;
      const off = (n * nBlocks + b) * blob;
      if (bits === 8) B.set(codes, off);
      else for (let j = 0; j < blob; j++) B[off + j] = codes[2 * j] | (codes[2 * j + 1] << 4);
    }
  }
  return { B, scales, nBlocks, blob };
}

/**
 * The formulations compared in BENCHMARKS.md. `rewrite(root, node, w)` turns one MatMul
 * (node.inputs = [activation, weight]) with float32 weight initializer `w` ([K, N]) into the
 * formulation; it may add nodes to `g` (the graph holding the node) and weights to `root`.
 */
export const FORMULATIONS = {
  fp32: { label: 'fp32 MatMul (reference)', rewrite: null },
  dqmm: {
    label: 'com.microsoft DynamicQuantizeMatMul, int8 per-column (current q8)',
    rewrite(root, g, node, w) {
      const [K, N] = w.dims;
      const { q, scale } = quantizeColumns(w.data, K, N);
      node.opType = 'DynamicQuantizeMatMul';
      node.domain = 'com.microsoft';
      node.inputs = [
        node.inputs[0],
        root.weight(`${w.name}_q8`, 'int8', [K, N], q),
        root.weight(`${w.name}_scale`, 'float32', [N], scale),
        root.weight(`${w.name}_zero`, 'int8', [N], new Int8Array(N)),
      ];
    },
  },
  mmi: {
    label: 'DynamicQuantizeLinear + MatMulInteger + Cast + Mul (standard ops), int8 per-column',
    rewrite(root, g, node, w) {
      const [K, N] = w.dims;
      const { q, scale } = quantizeColumns(w.data, K, N);
      const [aq, aScale, aZero] = g.nodeN('DynamicQuantizeLinear', [node.inputs[0]], {}, 3);
      const acc = g.node('MatMulInteger', [aq, root.weight(`${w.name}_q8`, 'int8', [K, N], q), aZero]);
      const colScale = g.mul(aScale, root.weight(`${w.name}_scale`, 'float32', [N], scale));
      // Reuse the MatMul node as the final Mul so its output name (read downstream) is kept.
      node.opType = 'Mul';
      node.inputs = [g.cast(acc, 'float32'), colScale];
    },
  },
  dq: {
    label: 'DequantizeLinear(int8 weight, per-column) -> MatMul',
    rewrite(root, g, node, w) {
      const [K, N] = w.dims;
      const { q, scale } = quantizeColumns(w.data, K, N);
      const deq = g.node('DequantizeLinear', [
        root.weight(`${w.name}_q8`, 'int8', [K, N], q),
        root.weight(`${w.name}_scale`, 'float32', [N], scale),
        root.weight(`${w.name}_zero`, 'int8', [N], new Int8Array(N)),
      ], { axis: attr.int(1) });
      node.inputs = [node.inputs[0], deq];
    },
  },
};

/** MatMulNBits formulations: bits 8 or 4, block size along K, accuracy_level (0 = default). */
export function nbitsFormulation(bits, blockSize, accuracyLevel) {
  return {
    label: `com.microsoft MatMulNBits bits=${bits} block=${blockSize} accuracy_level=${accuracyLevel || 'default (0)'}`,
    rewrite(root, g, node, w) {
      const [K, N] = w.dims;
      const { B, scales, nBlocks, blob } = packNBits(w.data, K, N, bits, blockSize);
      node.opType = 'MatMulNBits';
      node.domain = 'com.microsoft';
      node.inputs = [node.inputs[0], root.weight(`${w.name}_q${bits}`, 'uint8', [N, nBlocks, blob], B), root.weight(`${w.name}_scales`, 'float32', [N * nBlocks], scales)];
      node.attrs = { K: attr.int(K), N: attr.int(N), bits: attr.int(bits), block_size: attr.int(blockSize) };
      if (accuracyLevel) node.attrs.accuracy_level = attr.int(accuracyLevel);
    },
  };
}

for (const [bits, block, acc] of [
  [8, 32, 4],
  [8, 128, 4],
  [8, 32, 0],
  [8, 128, 0],
  [4, 32, 4],
]) {
  FORMULATIONS[`nbits${bits}-b${block}-acc${acc}`] = nbitsFormulation(bits, block, acc);
}

function walk(g, visit) {
  visit(g);
  for (const n of g.nodes) for (const a of Object.values(n.attrs)) if (a.kind === 'graph') walk(a.value, visit);
}

/**
 * Rewrites every MatMul whose right operand is a float32 2-D weight of >= minElements values
 * (same rule as src/convert/quantize.ts) with formulation `name`, in place, and drops the float
 * originals no other node reads. Returns the number of MatMuls rewritten.
 */
export function rewriteWeightMatMuls(root, name, { minElements = 4096 } = {}) {
  const f = FORMULATIONS[name];
  if (!f) throw new Error(`unknown formulation ${name}; choose one of ${Object.keys(FORMULATIONS).join(', ')}`);
  if (!f.rewrite) return 0;
  const byName = new Map();
  walk(root, (g) => g.initializers.forEach((t) => byName.set(t.name, t)));
  const dropped = new Set();
  let count = 0;
  walk(root, (g) => {
    // Snapshot: rewrites append nodes to g.nodes.
    for (const node of [...g.nodes]) {
      if (node.opType !== 'MatMul' || node.domain !== '') continue;
      const w = byName.get(node.inputs[1]);
      if (!w || w.type !== 'float32' || w.dims.length !== 2 || w.data.length < minElements) continue;
      const before = g.nodes.length;
      f.rewrite(root, g, node, w);
      // Keep the node list topologically sorted: helpers append, so move new nodes before `node`.
      const added = g.nodes.splice(before);
      g.nodes.splice(g.nodes.indexOf(node), 0, ...added);
      dropped.add(w.name);
      count++;
    }
  });
  const stillUsed = new Set();
  walk(root, (g) => g.nodes.forEach((n) => n.inputs.forEach((i) => stillUsed.add(i))));
  walk(root, (g) => {
    const keep = g.initializers.filter((t) => !dropped.has(t.name) || stillUsed.has(t.name));
    g.initializers.length = 0;
    g.initializers.push(...keep);
  });
  return count;
}

/** Bytes of all initializers (what a step streams, for weights read once per step). */
export function initializerBytes(root) {
  let n = 0;
  walk(root, (g) => g.initializers.forEach((t) => (n += t.data.byteLength)));
  return n;
}
