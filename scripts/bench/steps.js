// Time per decoder step against past length, for our decoder graph on its own (no sampling), in
// its own process. The cache of past length P is fed as random tensors (a step's cost does not
// depend on the values), so P = 1500 needs no 1500-step warm-up. Each point is the median of
// `--runs` consecutive steps after 3 warm-up steps. With --profile P, onnxruntime profiling is on and only P is measured; the trace's
// node time is summed per operator type, and "binding" = wall time of session.run minus the
// trace's model_run time (onnxruntime-node copying every output into a JavaScript buffer).
//
//   node scripts/bench/steps.js --dir <folder> --dtype fp32|q8 [--layout kvbuffer|merged] [--threads 2]
//     [--past 10,250,500,1000,1500] [--runs 9] [--profile 500] [--file <decoder.onnx>] [--options '<session options JSON>']
//     [--memory] [--buffer]
//
// --memory adds a "memory" object to the JSON line: /proc/self/status VmRSS / VmHWM / RssAnon / RssFile
// (bytes) right after InferenceSession.create and after the last step (scripts/bench/memory.js).
// --buffer hands onnxruntime the file's bytes (readFileSync) instead of its path.
//
// kvbuffer: the past buffers have the capacity the generate loop would give them at P (P rounded
// up to the 128-position chunk, unfilled slots masked) and past_sequence_length = P.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { processMemory } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dir = opt('dir');
const dtype = opt('dtype', 'fp32');
const threads = Number(opt('threads', '2'));
const profileAt = opt('profile') ? Number(opt('profile')) : null;
const pasts = profileAt ? [profileAt] : opt('past', '10,250,500,1000,1500').split(',').map(Number);
const runs = Number(opt('runs', profileAt ? '12' : '9'));
const layout = opt('layout', 'merged');
const file = opt('file', join(dir, 'onnx', `decoder_model_${layout}${dtype === 'q8' ? '_quantized' : ''}.onnx`));
const CHUNK = 128; // src/inference/kvBuffer.ts KV_BUFFER_CHUNK
const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).decoder;
const H = cfg.hidden_size;
const heads = cfg.num_attention_heads;
const hd = H / heads;
const layers = cfg.num_hidden_layers;
const K = cfg.num_codebooks;
const R = 2; // CFG: conditional + null row
const T = 12; // text tokens of the bench prompt
const textDim = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).text_encoder.d_model;

const profilePrefix = join(tmpdir(), `musicgen-bench-profile-${process.pid}`);
const withMemory = args.includes('--memory');
const t0 = performance.now();
// Same options as src/inference/sessions.ts createSession.
const session = await ort.InferenceSession.create(args.includes('--buffer') ? readFileSync(file) : file, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
  ...(profileAt ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  // e.g. --options '{"extra":{"session":{"intra_op":{"allow_spinning":"0"}}}}' to try session options.
  ...JSON.parse(opt('options', '{}')),
});
const loadMs = performance.now() - t0;
if (withMemory) globalThis.gc?.(); // a --buffer model's bytes are garbage once create returns
const memoryAfterCreate = withMemory ? processMemory() : null;

function randomF32(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

const fixed = {
  encoder_hidden_states: new ort.Tensor('float32', randomF32(R * T * textDim), [R, T, textDim]),
  encoder_attention_mask: new ort.Tensor('int64', BigInt64Array.from({ length: R * T }, (_, i) => (i < T ? 1n : 0n)), [R, T]),
  input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: R * K }, (_, i) => BigInt(i * 37)), [R * K, 1]),
  use_cache_branch: new ort.Tensor('bool', Uint8Array.from([1]), [1]),
};
const cross = randomF32(R * heads * T * hd);
const buffered = session.inputNames.includes('past_sequence_length');
const feedsFor = (P) => {
  const feeds = { ...fixed };
  const C = buffered ? Math.ceil((P + 1) / CHUNK) * CHUNK : P;
  if (buffered) feeds.past_sequence_length = new ort.Tensor('int64', BigInt64Array.of(BigInt(P)), [1]);
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      // A buffer per layer, as in a real cache: shared buffers would sit in the CPU caches.
      feeds[`past_key_values.${i}.decoder.${kv}`] = new ort.Tensor('float32', randomF32(R * heads * C * hd), [R, heads, C, hd]);
      feeds[`past_key_values.${i}.encoder.${kv}`] = new ort.Tensor('float32', cross, [R, heads, T, hd]);
    }
  }
  return feeds;
};
// One length after the other, consecutive runs like the real loop (steady state of allocating
// and collecting that length's outputs). Interleaving lengths would charge the garbage of a
// P = 1500 step (590 MB of outputs with the standard graph) to the P = 10 step after it.
const points = [];
for (const P of pasts) {
  let feeds = feedsFor(P);
  globalThis.gc?.(); // start each length clean (run with --expose-gc)
  for (let w = 0; w < 3; w++) await session.run(feeds); // warm-up: allocations, prepacked weights
  const ts = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await session.run(feeds);
    ts.push(performance.now() - t);
  }
  feeds = null;
  ts.sort((a, b) => a - b);
  process.stderr.write(`  past ${P}: ${ts[Math.floor(ts.length / 2)].toFixed(1)} ms\n`);
  points.push({ past: P, medianMs: ts[Math.floor(ts.length / 2)], minMs: ts[0], runs: ts.length, loadavg: loadavg()[0] });
}

let profile = null;
if (profileAt) {
  // onnxruntime-node's endProfiling returns nothing: find the trace by its prefix.
  session.endProfiling();
  const base = profilePrefix.split('/').pop();
  const found = readdirSync(tmpdir()).filter((f) => f.startsWith(base) && f.endsWith('.json'));
  const traceFile = found.length ? join(tmpdir(), found[0]) : null;
  if (traceFile) {
    const events = JSON.parse(readFileSync(traceFile, 'utf8'));
    rmSync(traceFile, { force: true });
    // Keep only the timed runs (the last `runs` model_run events), not the warm-ups.
    const runsEv = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    const timed = runsEv.slice(-runs);
    const from = timed[0]?.ts ?? 0;
    const byOp = {};
    let nodeUs = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || e.ts < from || !e.name.endsWith('_kernel_time')) continue;
      const op = e.args?.op_name ?? '?';
      byOp[op] = (byOp[op] ?? 0) + e.dur;
      nodeUs += e.dur;
    }
    const perRun = (us) => us / 1000 / timed.length;
    profile = {
      past: profileAt,
      wallMs: points[0].medianMs,
      modelRunMs: perRun(timed.reduce((a, e) => a + e.dur, 0)),
      nodeMs: perRun(nodeUs),
      byOpMs: Object.fromEntries(Object.entries(byOp).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, perRun(v)])),
    };
  }
}
process.stdout.write(`${JSON.stringify({ dtype, layout: buffered ? 'kvbuffer' : 'merged', threads, file, options: opt('options', '{}'), loadMs, points, profile, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...(withMemory ? { memory: { afterCreate: memoryAfterCreate, afterSteps: processMemory() } } : {}) })}\n`);
process.exit(0);
