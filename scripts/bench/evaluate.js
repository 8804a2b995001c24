// Speed of the evaluation stage (issue 24): seconds of audio scored per second by a teacher-forced
// forward of one 30 s segment (1501 decoder positions, null condition) on the given model folders,
// beside this machine's fp32 GEMM rate measured right before each forward (the VM is shared: the
// load changes from minute to minute), which gives the compute floor of that forward (its FLOPs /
// the GEMM rate). `--steps N` also times N cached decoder steps over the same ids (the
// step-by-step alternative to one call), from which S steps are extrapolated (a lower bound: a
// step's cost grows with the past).
//
//   node scripts/bench/evaluate.js --model DIR [--model DIR2] [--seconds 30] [--runs 3] [--threads 2] [--steps 50] [--dtype q8]
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../dist/convert/graph.js';
import { serializeModel } from '../../dist/convert/serialize.js';
import { CrossEntropyScorer } from '../../dist/evaluation/crossEntropyScorer.js';
import { teacherForcedSequence } from '../../dist/evaluation/teacherForcing.js';
import { createDecoderState } from '../../dist/inference/decoderState.js';
import { locateModelFiles } from '../../dist/model/modelFiles.js';
import { createSession } from '../../dist/inference/sessions.js';
import { mulberry32 } from '../../dist/mulberry32.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const models = args.flatMap((a, i) => (a === '--model' ? [args[i + 1]] : []));
const SECONDS = Number(opt('seconds', '30'));
const RUNS = Number(opt('runs', '3'));
const THREADS = Number(opt('threads', '2'));
const STEPS = Number(opt('steps', '0'));
const DTYPE = opt('dtype', 'fp32');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** fp32 GEMM rate: [S, 1024] x [1024, 4096] x [4096, 1024] blocks (musicgen-small's FFN at S positions). */
async function gemmRate(S) {
  const H = 1024;
  const F = 4096;
  const BLOCKS = 4;
  const rand = mulberry32(1);
  const w = (n, scale) => Float32Array.from({ length: n }, () => (rand() - 0.5) * scale);
  const g = new OnnxGraph('gemm');
  let x = g.input('x', 'float32', [S, H]);
  for (let b = 0; b < BLOCKS; b++) {
    x = g.matMul(x, g.weight(`up${b}`, 'float32', [H, F], w(H * F, 2 / Math.sqrt(H))));
    x = g.matMul(x, g.weight(`down${b}`, 'float32', [F, H], w(F * H, 2 / Math.sqrt(F))));
  }
  g.output(x, 'y', 'float32', [S, H]);
  const session = await ort.InferenceSession.create(serializeModel(g, 'gemm.onnx').model, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const feeds = { x: new ort.Tensor('float32', w(S * H, 1), [S, H]) };
  await session.run(feeds);
  const ms = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await session.run(feeds);
    ms.push(performance.now() - t);
  }
  await session.release();
  const flops = BLOCKS * 2 * 2 * S * H * F;
  return { gflops: flops / (median(ms) / 1000) / 1e9, medianMs: median(ms) };
}

/** Weight FLOPs of one teacher-forced forward (null condition: the cross-attention reads one text state). */
function forwardFlops(config, S) {
  const d = config.decoder;
  const h = d.hiddenSize;
  const perToken = d.numLayers * (4 * h * h + 2 * h * h + 2 * h * d.ffnDim) + d.numCodebooks * h * d.vocabSize;
  const attention = d.numLayers * 2 * S * S * h; // QK^T and PV over the causal square (as computed: full)
  return { weights: 2 * S * perToken, attention: 2 * attention };
}

const frames = Math.round(SECONDS * 50);
const S = frames + 1;
const rows = [];
for (const dir of models) {
  const scorer = await CrossEntropyScorer.load(dir, { threads: THREADS, dtype: DTYPE });
  const config = scorer.config;
  const K = config.decoder.numCodebooks;
  const rand = mulberry32(7);
  const codes = Array.from({ length: K }, () => Int32Array.from({ length: frames }, () => Math.floor(rand() * config.decoder.vocabSize)));
  const f = forwardFlops(config, S);
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const gemm = await gemmRate(S);
    const [r] = await scorer.crossEntropy([{ codes }]);
    const floorMs = ((f.weights + f.attention) / (gemm.gflops * 1e9)) * 1000;
    runs.push({ gemmGflops: +gemm.gflops.toFixed(1), forwardMs: Math.round(r.decoderMs), floorMs: Math.round(floorMs), vsFloor: +(r.decoderMs / floorMs).toFixed(2), load1: +loadavg()[0].toFixed(1) });
  }
  await scorer.dispose();
  let stepByStep = null;
  if (STEPS > 0) {
    // The same ids stepped through the KV cache, one position per call (no CFG, null condition).
    const files = locateModelFiles(dir, DTYPE);
    const session = await createSession(files.decoder, { threads: THREADS });
    const flat = new Int32Array(K * frames);
    codes.forEach((c, k) => flat.set(c, k * frames));
    const ids = teacherForcedSequence(flat, { numCodebooks: K, audioChannels: config.decoder.audioChannels, frames, vocabSize: config.decoder.vocabSize });
    const conditioning = { rows: 1, encoderHiddenStates: new Float32Array(config.textEncoder.dModel), encoderLength: 1, encoderMask: [0] };
    const state = createDecoderState(session, config, conditioning, S);
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) await state.step(Array.from({ length: K }, (_, k) => ids[k * S + s]), 1);
    const perStep = (performance.now() - t0) / STEPS;
    await session.release();
    stepByStep = { steps: STEPS, msPerStep: +perStep.toFixed(1), extrapolatedMs: Math.round(perStep * S), load1: +loadavg()[0].toFixed(1) };
  }
  const best = Math.min(...runs.map((r) => r.forwardMs));
  rows.push({
    model: dir,
    dtype: scorer.files.dtype,
    forwardGflop: +((f.weights + f.attention) / 1e9).toFixed(1),
    runs,
    bestMs: best,
    audioSecondsPerSecond: +(SECONDS / (best / 1000)).toFixed(3),
    stepByStep,
  });
}
console.log(JSON.stringify({ seconds: SECONDS, positions: S, threads: THREADS, rows }, null, 2));
