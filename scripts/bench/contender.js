// One benchmark contender in its own process (so peak RSS and load time are its own): loads a
// model folder, generates `--seconds` of audio for one prompt with CFG 3 and sampling, and prints
// one JSON line. Run by scripts/bench.js; by hand:
//
//   node scripts/bench/contender.js --impl ours|tjs --dir <folder> --dtype fp32|q8 [--layout kvbuffer|merged] [--threads 2] [--seconds 10] [--release-text-encoder]
//
// --layout picks our decoder graph (default kvbuffer); transformers.js always runs the merged one.
// --release-text-encoder loads ours as the musicgen command does (LoadOptions.releaseTextEncoder:
// the T5 encoder opened for the call and released after it, the decoder opened after that; those
// opens are reported in loadMs).
//
// --threads is omitted for "out of the box" (ours then uses every core, transformers.js passes no
// session options, which leaves onnxruntime-node on one intra-op thread here).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { graphBytes, oursFilesBytes } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const impl = opt('impl', 'ours');
const dir = opt('dir');
const dtype = opt('dtype', 'fp32');
const threads = opt('threads') ? Number(opt('threads')) : undefined;
const seconds = Number(opt('seconds', '10'));
const releaseTextEncoder = args.includes('--release-text-encoder');
const CFG = 3;
const PROMPT = '80s pop track with bassy drums and synth';
const K = 4; // codebooks of musicgen-small: frames + K - 1 decoder steps
const frames = Math.round(seconds * 50);

const layout = impl === 'tjs' ? 'merged' : opt('layout', 'kvbuffer');
const decoderFile = `decoder_model_${layout}${dtype === 'q8' ? '_quantized' : ''}.onnx`;

async function runOurs() {
  const { MusicGen } = await import('../../dist/inference/musicgen.js');
  const t0 = performance.now();
  const mg = await MusicGen.load(dir, { dtype, threads, decoderLayout: layout, releaseTextEncoder });
  const loadMs = performance.now() - t0;
  const stepMs = [];
  let last = 0;
  const g0 = performance.now();
  const r = await mg.generate([PROMPT], {
    params: { duration: seconds, cfgCoef: CFG, useSampling: true, seed: 1 },
    progress: () => {
      const now = performance.now();
      // The first delta would include the text encoder: start counting at the first step's end.
      if (last) stepMs.push(now - last);
      last = now;
    },
  });
  // Sessions the call opened (text encoder released, decoder deferred) count as load, not as
  // generation, so RTF compares with the rows that open everything in load().
  const totalMs = performance.now() - g0 - r.timings.openMs;
  return {
    loadMs: loadMs + r.timings.openMs,
    totalMs,
    textEncoderMs: r.timings.textEncoderMs,
    decoderMs: r.timings.decoderMs,
    codecMs: r.timings.codecMs,
    steps: stepMs.length + 1,
    stepMs,
    filesBytes: oursFilesBytes(dir, dtype, layout),
  };
}

async function runTransformersJs() {
  const { env, MusicgenForConditionalGeneration, Tensor } = await import('@huggingface/transformers');
  const { TextTokenizer } = await import('../../dist/inference/textTokenizer.js');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const options = {
    dtype: { text_encoder: 'fp32', decoder_model_merged: dtype, encodec_decode: 'fp32' },
    ...(threads ? { session_options: { intraOpNumThreads: threads } } : {}),
  };
  const t0 = performance.now();
  const model = await MusicgenForConditionalGeneration.from_pretrained(dir, options);
  const loadMs = performance.now() - t0;
  // Time each session's runs by wrapping them: transformers.js reports no timings of its own.
  // transformers.js names the text encoder's session 'model'.
  const starts = { model: [], decoder_model_merged: [], encodec_decode: [] };
  const ends = { model: [], decoder_model_merged: [], encodec_decode: [] };
  for (const name of Object.keys(starts)) {
    const s = model.sessions[name];
    const run = s.run.bind(s);
    s.run = async (...a) => {
      starts[name].push(performance.now());
      const out = await run(...a);
      ends[name].push(performance.now());
      return out;
    };
  }
  const tok = TextTokenizer.load(join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json')).encodeBatch([PROMPT]);
  const T = tok.inputIds[0].length;
  const g0 = performance.now();
  await model.generate({
    input_ids: new Tensor('int64', BigInt64Array.from(tok.inputIds.flat(), BigInt), [1, T]),
    attention_mask: new Tensor('int64', BigInt64Array.from(tok.attentionMask.flat(), BigInt), [1, T]),
    do_sample: true,
    guidance_scale: CFG,
    max_new_tokens: frames + K - 1,
  });
  const totalMs = performance.now() - g0;
  const dec = starts.decoder_model_merged;
  // A step = from one decoder run's start to the next (its JS logits processing included); the
  // last step ends where EnCodec starts, as in ours.
  const decEnd = starts.encodec_decode[0] ?? ends.decoder_model_merged.at(-1);
  const stepMs = dec.slice(2).map((t, i) => t - dec[i + 1]).concat([decEnd - dec.at(-1)]);
  return {
    loadMs,
    totalMs,
    textEncoderMs: ends.model[0] - starts.model[0],
    decoderMs: decEnd - dec[0],
    codecMs: ends.encodec_decode[0] - starts.encodec_decode[0],
    steps: dec.length,
    stepMs,
    filesBytes: ['text_encoder.onnx', decoderFile, 'encodec_decode.onnx'].reduce((a, f) => a + graphBytes(join(dir, 'onnx', f)), 0),
  };
}

const load0 = loadavg()[0];
const r = impl === 'tjs' ? await runTransformersJs() : await runOurs();
const sorted = [...r.stepMs].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
// Stalls (page faults on mapped weights showed up this way in session 2; KV growth steps in
// session 5): steps over twice the median, with the past length each ran at.
const slow = r.stepMs.flatMap((ms, i) => (ms > 2 * median ? [{ ms, past: i + 1 }] : []));
const at = (i) => r.stepMs[Math.min(r.stepMs.length - 1, i)];
// Median of the 11 steps around a past length: robust to bursts from other work on this VM.
const around = (p) => {
  const w = r.stepMs.slice(Math.max(0, p - 6), p + 5).sort((a, b) => a - b);
  return w.length ? w[Math.floor(w.length / 2)] : null;
};
const result = {
  impl,
  dtype,
  releaseTextEncoder,
  layout,
  threads: threads ?? 'default',
  seconds,
  ...r,
  stepMs: undefined,
  stepsPerSec: (r.steps / r.decoderMs) * 1000,
  medianStepMs: median,
  p10StepMs: sorted[Math.floor(sorted.length * 0.1)],
  rtf: r.totalMs / 1000 / seconds,
  // stepMs[i] is the step whose past length is i + 1 (the first step reads the prompt only).
  stepAtPast: Object.fromEntries([10, 100, 250, 500, 1000, 1500].filter((p) => p <= r.stepMs.length).map((p) => [p, around(p - 1)])),
  firstStepsMs: [at(0), at(1), at(2)],
  slowSteps: slow.length,
  slowStepsExtraMs: slow.reduce((a, s) => a + s.ms - median, 0),
  slowStepPast: slow.map((s) => s.past),
  maxStepMs: sorted.at(-1),
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  loadavg: [load0, loadavg()[0]],
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
