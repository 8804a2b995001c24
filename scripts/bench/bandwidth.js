// Memory read bandwidth of this machine, measured the way a decoder step reads its weights:
// onnxruntime-node MatMuls of a [2, 1, 1024] activation (CFG batch 2, one position) through
// `--blocks` pairs of fp32 weights [1024, 4096] and [4096, 1024] (the FFN shapes of
// musicgen-small), 32 MiB per pair, every weight read once per run, far beyond any cache.
// Same session options as the decoder (2 intra-op threads, graph optimisation 'all'). A second
// probe reduces a plain float32 input of the same size (ReduceSum), for comparison.
//
//   node scripts/bench/bandwidth.js [--blocks 16] [--runs 25] [--threads 2]
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../dist/convert/graph.js';
import { serializeModel } from '../../dist/convert/serialize.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const BLOCKS = Number(opt('blocks', '16'));
const RUNS = Number(opt('runs', '25'));
const THREADS = Number(opt('threads', '2'));
const H = 1024;
const F = 4096;
const options = { intraOpNumThreads: THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] };

function randomF32(n, scale) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() - 0.5) * scale;
  return a;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], best: s[0], p90: s[Math.floor(s.length * 0.9)] };
};

async function timeRuns(session, feeds) {
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await session.run(feeds);
    ms.push(performance.now() - t);
  }
  return ms;
}

// GEMV-like probe.
const g = new OnnxGraph('bandwidth');
let x = g.input('x', 'float32', [2, 1, H]);
for (let b = 0; b < BLOCKS; b++) {
  x = g.matMul(x, g.weight(`up${b}`, 'float32', [H, F], randomF32(H * F, 2 / Math.sqrt(H))));
  x = g.matMul(x, g.weight(`down${b}`, 'float32', [F, H], randomF32(F * H, 2 / Math.sqrt(F))));
}
g.output(x, 'y', 'float32', [2, 1, H]);
const bytes = BLOCKS * 2 * H * F * 4;
let session = await ort.InferenceSession.create(serializeModel(g, 'bandwidth.onnx').model, options);
g.initializers.length = 0;
const gemvMs = await timeRuns(session, { x: new ort.Tensor('float32', randomF32(2 * H, 1), [2, 1, H]) });
await session.release();
session = null;

// Plain streaming read of an input of the same size.
const r = new OnnxGraph('reduce');
const big = r.input('big', 'float32', [bytes / 4]);
r.output(r.node('ReduceSum', [big], { keepdims: { kind: 'int', value: 0 } }), 'sum', 'float32', []);
const reduce = await ort.InferenceSession.create(serializeModel(r, 'reduce.onnx').model, options);
const reduceMs = await timeRuns(reduce, { big: new ort.Tensor('float32', randomF32(bytes / 4, 1), [bytes / 4]) });

const gemv = stats(gemvMs);
const red = stats(reduceMs);
const gbps = (ms) => bytes / ms / 1e6;
process.stdout.write(
  `${JSON.stringify({
    bytes,
    threads: THREADS,
    runs: RUNS,
    gemv: { ...gemv, medianGBps: gbps(gemv.median), bestGBps: gbps(gemv.best), p90GBps: gbps(gemv.p90) },
    reduce: { ...red, medianGBps: gbps(red.median), bestGBps: gbps(red.best) },
    loadavg: loadavg()[0],
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
process.exit(0);
