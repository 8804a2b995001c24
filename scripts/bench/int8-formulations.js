// Issue 2 study: which int8 formulation of the decoder's weight MatMuls onnxruntime-node 1.30 runs
// fastest, and at what error. A representative slice of a musicgen-small-sized decoder step:
// `--layers` pre-LN blocks of 1024 hidden (self q/k/v/out, cross q/out, fc1 4096 + GELU + fc2),
// then the fused LM heads [1024, 4 x 2048]; input [2, 1, 1024] = CFG batch 2, one position per
// step. Attention itself is replaced by a sum (it has no weights, so the formulation does not
// change it). Every formulation gets the same fp32 weights; sessions use 2 intra-op threads and
// graph optimisation 'all' (as src/inference/sessions.ts). Variants are timed in interleaved
// rounds so drift on this shared VM hits them alike.
//
//   node scripts/bench/int8-formulations.js [--layers 8] [--rounds 12] [--runs 10] [--json out.json] [--write]
// --write replaces the `bench:int8` section of BENCHMARKS.md.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../dist/convert/graph.js';
import { serializeModel } from '../../dist/convert/serialize.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { FORMULATIONS, initializerBytes, rewriteWeightMatMuls } from './int8Variants.js';
import { int8Markdown, relL2, writeSection } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const LAYERS = Number(opt('layers', '8'));
const ROUNDS = Number(opt('rounds', '12'));
// (npm run bench passes the same flags; see scripts/bench.js)
const RUNS = Number(opt('runs', '10'));
const THREADS = Number(opt('threads', '2'));
const only = opt('only', '');
const H = 1024;
const FFN = 4096;
const HEADS_N = 4 * 2048;
const BATCH = 2;

/** The slice with fp32 weights drawn like the random presets (N(0, 1/sqrt(fan_in)), seeded). */
function buildSlice() {
  const rw = new RandomWeights(7);
  const g = new OnnxGraph('slice');
  const W = (name, k, n) => g.weight(name, 'float32', [k, n], rw.read(name, [n, k]).data);
  const ln = (name) => [g.weight(`${name}_w`, 'float32', [H], rw.read(`${name}.layer_norm.weight`, [H]).data), g.weight(`${name}_b`, 'float32', [H], rw.read(`${name}.bias`, [H]).data)];
  let x = g.input('x', 'float32', [BATCH, 1, H]);
  for (let i = 0; i < LAYERS; i++) {
    let [lw, lb] = ln(`l${i}.sa`);
    let h = g.layerNorm(x, lw, lb, 1e-5);
    const qkv = g.add(g.add(g.matMul(h, W(`l${i}.q`, H, H)), g.matMul(h, W(`l${i}.k`, H, H))), g.matMul(h, W(`l${i}.v`, H, H)));
    x = g.add(x, g.matMul(qkv, W(`l${i}.o`, H, H)));
    [lw, lb] = ln(`l${i}.ca`);
    h = g.layerNorm(x, lw, lb, 1e-5);
    x = g.add(x, g.matMul(g.matMul(h, W(`l${i}.cq`, H, H)), W(`l${i}.co`, H, H)));
    [lw, lb] = ln(`l${i}.ff`);
    h = g.layerNorm(x, lw, lb, 1e-5);
    x = g.add(x, g.matMul(g.gelu(g.matMul(h, W(`l${i}.fc1`, H, FFN))), W(`l${i}.fc2`, FFN, H)));
  }
  const [fw, fb] = ln('final');
  g.output(g.matMul(g.layerNorm(x, fw, fb, 1e-5), W('heads', H, HEADS_N)), 'logits', 'float32', [BATCH, 1, HEADS_N]);
  return g;
}

/** Share of rows whose arg-max (greedy token) matches the reference, per codebook row of 2048. */
function argmaxAgreement(a, b) {
  let same = 0;
  let rows = 0;
  for (let off = 0; off < a.length; off += 2048, rows++) {
    let ia = 0;
    let ib = 0;
    for (let j = 1; j < 2048; j++) {
      if (a[off + j] > a[off + ia]) ia = j;
      if (b[off + j] > b[off + ib]) ib = j;
    }
    if (ia === ib) same++;
  }
  return { same, rows };
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const load0 = loadavg()[0];
const names = Object.keys(FORMULATIONS).filter((n) => !only || n === 'fp32' || only.split(',').includes(n));
const sessions = {};
const info = {};
for (const name of names) {
  const g = buildSlice();
  const rewritten = rewriteWeightMatMuls(g, name);
  const bytes = initializerBytes(g);
  const { model } = serializeModel(g, `${name}.onnx`);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  try {
    sessions[name] = await ort.InferenceSession.create(model, {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
    info[name] = { label: FORMULATIONS[name].label, rewritten, weightBytes: bytes, loadMs: performance.now() - t0, rssDeltaMB: (process.memoryUsage().rss - rss0) / 2 ** 20 };
  } catch (e) {
    info[name] = { label: FORMULATIONS[name].label, error: String(e.message ?? e).split('\n')[0].slice(0, 200) };
    console.error(`${name}: ${info[name].error}`);
  }
}
const live = names.filter((n) => sessions[n]);

// Error vs fp32 on 8 random LayerNorm-scale inputs.
const inputs = Array.from({ length: 8 }, (_, s) => new RandomWeights(100 + s).read('x.bias', [BATCH * H]).data.map((v) => v * 10));
const ref = [];
for (const x of inputs) ref.push((await sessions.fp32.run({ x: new ort.Tensor('float32', x, [BATCH, 1, H]) })).logits.data);
for (const name of live) {
  let err = 0;
  let same = 0;
  let rows = 0;
  for (let s = 0; s < inputs.length; s++) {
    const y = (await sessions[name].run({ x: new ort.Tensor('float32', inputs[s], [BATCH, 1, H]) })).logits.data;
    err = Math.max(err, relL2(y, ref[s]));
    const a = argmaxAgreement(y, ref[s]);
    same += a.same;
    rows += a.rows;
  }
  Object.assign(info[name], { relL2: err, argmaxSame: same, argmaxRows: rows });
}

// Timing: warm-up, then interleaved rounds of RUNS runs each.
const feed = { x: new ort.Tensor('float32', inputs[0], [BATCH, 1, H]) };
const times = Object.fromEntries(live.map((n) => [n, []]));
for (const name of live) for (let i = 0; i < 5; i++) await sessions[name].run(feed);
for (let r = 0; r < ROUNDS; r++) {
  for (const name of live) {
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await sessions[name].run(feed);
      times[name].push(performance.now() - t);
    }
  }
}
const refMs = median(times.fp32);
const rows = names.map((name) => {
  const i = info[name];
  if (i.error) return { name, ...i };
  const ms = median(times[name]);
  return { name, ...i, ms, p10: pct(times[name], 0.1), p90: pct(times[name], 0.9), speedup: refMs / ms, gbps: i.weightBytes / ms / 1e6 };
});
const result = { loadavg: [load0, loadavg()[0]], layers: LAYERS, hidden: H, ffn: FFN, headsN: HEADS_N, batch: BATCH, threads: THREADS, rounds: ROUNDS, runs: RUNS, ort: ort.env.versions?.common ?? '', rows };
const out = opt('json', '');
if (args.includes('--write')) {
  const cmd = `node scripts/bench/int8-formulations.js --layers ${LAYERS} --rounds ${ROUNDS} --runs ${RUNS} --write`;
  writeSection('int8', int8Markdown(result, cmd, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'));
}
if (out) writeFileSync(out, JSON.stringify(result, null, 2));
for (const r of rows) {
  if (r.error) console.log(`${r.name.padEnd(18)} ERROR ${r.error}`);
  else
    console.log(
      `${r.name.padEnd(18)} ${r.ms.toFixed(2).padStart(7)} ms (p10 ${r.p10.toFixed(2)} p90 ${r.p90.toFixed(2)})  x${r.speedup.toFixed(2)}  ${(r.weightBytes / 1e6).toFixed(0)} MB  ${r.gbps.toFixed(1)} GB/s  relL2 ${r.relL2.toExponential(2)}  argmax ${r.argmaxSame}/${r.argmaxRows}  load ${(r.loadMs / 1000).toFixed(2)} s  rss +${r.rssDeltaMB.toFixed(0)} MB`,
    );
}
