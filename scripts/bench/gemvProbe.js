// The GEMV bandwidth probe of bandwidth.js: onnxruntime MatMuls of a
// [2, 1, 1024] activation (CFG batch 2, one position) through `blocks` pairs of fp32 weights
// [1024, 4096] and [4096, 1024] (musicgen-small's FFN shapes), 32 MiB per pair, each read once
// per run: memory is read the way a decoder step reads its weights.
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../dist/convert/graph.js';
import { serializeModel } from '../../dist/convert/serialize.js';

const H = 1024;
const F = 4096;

export function randomF32(n, scale) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() - 0.5) * scale;
  return a;
}

export function sessionOptions(threads) {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
}

/** { session, feeds, bytes }: one session.run(feeds) reads `bytes` of weights. */
export async function createGemvProbe(blocks, threads) {
  const g = new OnnxGraph('bandwidth');
  let x = g.input('x', 'float32', [2, 1, H]);
  for (let b = 0; b < blocks; b++) {
    x = g.matMul(x, g.weight(`up${b}`, 'float32', [H, F], randomF32(H * F, 2 / Math.sqrt(H))));
    x = g.matMul(x, g.weight(`down${b}`, 'float32', [F, H], randomF32(F * H, 2 / Math.sqrt(F))));
  }
  g.output(x, 'y', 'float32', [2, 1, H]);
  const session = await ort.InferenceSession.create(serializeModel(g, 'bandwidth.onnx').model, sessionOptions(threads));
  return { session, feeds: { x: new ort.Tensor('float32', randomF32(2 * H, 1), [2, 1, H]) }, bytes: blocks * 2 * H * F * 4, H, F };
}
