// EnCodec decode (encodec_decode.onnx: audio_codes [1, B, 4, F] -> audio_values [B, 1, F * 640])
// on its own, for the real musicgen EnCodec architecture (the small preset's audio_encoder config)
// with seeded random weights, so no 2.3 GB model folder is needed. The graph is built by the
// compiled converter in dist/ (run `npm run build` first).
//
//   node scripts/bench/encodec.js build <name> [--seed 1234] [--out /tmp/encodec-study]
//       writes <out>/<name>.onnx with dist's buildEncodecDecodeGraph (keep one as the "before").
//   node scripts/bench/encodec.js time [a.onnx b.onnx ...] [--frames 500,1500] [--batch 1,2]
//       [--runs 3] [--session-runs 4] [--threads 2] [--profile-frames 500] [--no-profile] [--out /tmp/encodec-study]
//       Each of --runs rounds creates a fresh session per file (the files alternate, so load from
//       other processes hits all of them alike) and runs it --session-runs times on the same
//       random codes: run 1 is the cold run MusicGen pays (one decode per generate), run 2 is still
//       partly cold, runs 3+ are warm. Prints medians per case and file (cold / 2nd / warm ms and
//       the page faults of runs 1-2), the relative L2 difference of each file's output to the first
//       file's (a quick check that a graph rewrite kept the numbers), and, unless --no-profile, an
//       onnxruntime profile of F = --profile-frames, B = 1 per file (kernel time summed per op
//       type, cold run and warm runs). Without files it builds dist's graph to <out>/current.onnx
//       and times that.
//
// Sessions use the options of src/inference/sessions.ts createSession (2 intra-op threads by
// default, as on the 2-core bench machine). Output is one JSON line on stdout; progress on stderr.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildEncodecDecodeGraph } from '../../dist/convert/encodec/index.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { writeOnnxModel } from '../../dist/convert/serialize.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { codebooksPerChannel, parseModelConfig } from '../../dist/model/modelConfig.js';
import { relL2 } from './report.js';

const args = process.argv.slice(2);
const flags = new Set();
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) {
    if (args[i] === '--no-profile') flags.add('no-profile');
    else i++;
  } else positional.push(args[i]);
}
const command = positional[0] ?? 'time';
const outDir = opt('out', '/tmp/encodec-study');
const seed = Number(opt('seed', '1234'));

function buildGraph(name) {
  mkdirSync(outDir, { recursive: true });
  const raw = presetConfig('small', seed);
  const config = parseModelConfig(raw, 'config.json');
  const weights = new CheckedWeights(new RandomWeights(seed));
  const t = performance.now();
  const graph = buildEncodecDecodeGraph(config.audioEncoder, weights, codebooksPerChannel(config));
  const file = join(outDir, `${name}.onnx`);
  writeOnnxModel(file, graph);
  process.stderr.write(`wrote ${file} (${graph.nodes?.length ?? '?'} nodes, ${(performance.now() - t).toFixed(0)} ms)\n`);
  return { file, numCodebooks: codebooksPerChannel(config), codebookSize: config.audioEncoder.codebookSize };
}

if (command === 'build') {
  if (!positional[1]) throw new Error('usage: encodec.js build <name>');
  buildGraph(positional[1]);
  process.exit(0);
}
if (command !== 'time') throw new Error(`unknown command "${command}" (build | time)`);

const threads = Number(opt('threads', '2'));
const frames = opt('frames', '500,1500').split(',').map(Number);
const batches = opt('batch', '1,2').split(',').map(Number);
const runs = Number(opt('runs', '3'));
const profileFrames = Number(opt('profile-frames', '500'));
const files = positional.slice(1);
let K = 4;
let codebookSize = 2048;
if (!files.length) {
  const built = buildGraph('current');
  files.push(built.file);
  K = built.numCodebooks;
  codebookSize = built.codebookSize;
}

// Same options as src/inference/sessions.ts createSession.
const sessionOptions = (extra = {}) => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
  ...extra,
});

// Deterministic codes (a small LCG), the same for every file.
function codes(B, F) {
  const data = new BigInt64Array(B * K * F);
  let s = 12345 + B * 7 + F;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = BigInt(s % codebookSize);
  }
  return new ort.Tensor('int64', data, [1, B, K, F]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Each measurement is a fresh session, as in MusicGen (one decode per generate, right after
// loading): run 1 is "cold" (onnxruntime's arena is still empty, so every intermediate tensor is
// page-faulted in; on this VM that costs ~20 us per 4 KiB page), run 2 is still partly cold (the
// first run of a new shape records a memory pattern, the second allocates it as one block), runs 3+
// are warm. The files alternate session by session.
const sessionRuns = Number(opt('session-runs', '4'));
const cases = [];
for (const F of frames) {
  for (const B of batches) {
    const feeds = { audio_codes: codes(B, F) };
    const per = files.map(() => ({ runs: Array.from({ length: sessionRuns }, () => []), faults: [[], []] }));
    const outputs = [];
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < files.length; i++) {
        const session = await ort.InferenceSession.create(files[i], sessionOptions());
        for (let k = 0; k < sessionRuns; k++) {
          const u0 = process.resourceUsage().minorPageFault;
          const t = performance.now();
          const out = await session.run(feeds);
          per[i].runs[k].push(performance.now() - t);
          if (k < 2) per[i].faults[k].push(process.resourceUsage().minorPageFault - u0);
          if (r === 0 && k === 0) outputs.push(out.audio_values.data);
        }
        await session.release();
      }
    }
    const perFile = files.map((file, i) => {
      const warm = per[i].runs.slice(2).flat();
      return {
        file,
        coldMs: median(per[i].runs[0]),
        secondMs: median(per[i].runs[1]),
        warmMs: warm.length ? median(warm) : null,
        warmMinMs: warm.length ? Math.min(...warm) : null,
        coldPageFaults: median(per[i].faults[0]),
        secondPageFaults: median(per[i].faults[1]),
        relL2VsFirst: i === 0 ? 0 : relL2(outputs[i], outputs[0]),
      };
    });
    const row = { frames: F, batch: B, audioSeconds: (F * 640) / 32000, sessions: runs, loadavg1: loadavg()[0], perFile };
    cases.push(row);
    process.stderr.write(
      `F=${F} B=${B} load ${row.loadavg1.toFixed(2)}:\n${perFile
        .map(
          (p) =>
            `  ${p.file.split('/').pop().padEnd(24)} cold ${p.coldMs.toFixed(0)} ms (${p.coldPageFaults} faults), 2nd ${p.secondMs.toFixed(0)} ms (${p.secondPageFaults}), warm ${p.warmMs?.toFixed(0)} ms (min ${p.warmMinMs?.toFixed(0)}), relL2 ${p.relL2VsFirst.toExponential(1)}`,
        )
        .join('\n')}\n`,
    );
  }
}

// Profile: a fresh session per file with profiling on, F = profileFrames, B = 1, 4 runs; kernel
// time summed per op type for the cold run 1 and for the warm runs 3-4 (ms per run).
const profiles = [];
if (!flags.has('no-profile')) {
  for (const file of files) {
    const prefix = join(tmpdir(), `encodec-bench-profile-${process.pid}-${profiles.length}`);
    const session = await ort.InferenceSession.create(file, sessionOptions({ enableProfiling: true, profileFilePrefix: prefix }));
    const feeds = { audio_codes: codes(1, profileFrames) };
    for (let r = 0; r < 4; r++) await session.run(feeds);
    session.endProfiling(); // onnxruntime-node returns nothing: find the trace by its prefix.
    await session.release();
    const base = prefix.split('/').pop();
    const found = readdirSync(tmpdir()).filter((f) => f.startsWith(base) && f.endsWith('.json'));
    if (!found.length) continue;
    const events = JSON.parse(readFileSync(join(tmpdir(), found[0]), 'utf8'));
    rmSync(join(tmpdir(), found[0]), { force: true });
    const runEvents = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    const summarize = (timed) => {
      const byOp = {};
      let nodeUs = 0;
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
        if (!timed.some((run) => e.ts >= run.ts && e.ts <= run.ts + run.dur)) continue;
        const op = e.args?.op_name ?? '?';
        byOp[op] = (byOp[op] ?? 0) + e.dur;
        nodeUs += e.dur;
      }
      const perRun = (us) => Math.round(us / 10 / timed.length) / 100;
      return {
        modelRunMs: perRun(timed.reduce((a, e) => a + e.dur, 0)),
        nodeMs: perRun(nodeUs),
        byOpMs: Object.fromEntries(Object.entries(byOp).filter(([, v]) => perRun(v) >= 0.5).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, perRun(v)])),
      };
    };
    const profile = { file, frames: profileFrames, batch: 1, loadavg1: loadavg()[0], cold: summarize(runEvents.slice(0, 1)), warm: summarize(runEvents.slice(2)) };
    profiles.push(profile);
    for (const kind of ['cold', 'warm']) {
      const p = profile[kind];
      process.stderr.write(
        `profile ${file.split('/').pop()} F=${profileFrames} ${kind}: run ${p.modelRunMs} ms, nodes ${p.nodeMs} ms; ${Object.entries(p.byOpMs).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
      );
    }
  }
}

process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), threads, ort: ort.env.versions?.common, cases, profiles })}\n`);
process.exit(0);
