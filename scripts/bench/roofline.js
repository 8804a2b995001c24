// Share of the memory-bandwidth roofline reached by a real generation, with the bandwidth probe
// interleaved step by step in the same process (issue 8). This VM's speed drifts by 20 % and more
// over minutes, so a probe run minutes before a contender can mis-state its share of the roofline
// either way; here every decoder step has a probe run right before it.
//
// MusicGen.generate runs as usual (text encoder, kvbuffer decoder, sampling, CFG, EnCodec); before
// each decoder session.run one GEMV probe run (scripts/bench/gemvProbe.js) reads `--blocks` x 32 MiB.
// A step = from the end of its probe run to the start of the next one: the decoder run plus the
// loop's JavaScript (sampling, CFG, appending K/V), probe time excluded. Its roofline time = bytes
// the step reads (weights + K/V cache at its past length, report.js stepBytes) / the bandwidth of
// the probe runs around it (median of 9).
//
//   node scripts/bench/roofline.js --dir <folder> --dtype fp32|q8 [--seconds 10] [--blocks 8] [--threads 2]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createGemvProbe } from './gemvProbe.js';
import { stepBytes } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dir = opt('dir');
const dtype = opt('dtype', 'fp32');
const seconds = Number(opt('seconds', '10'));
const blocks = Number(opt('blocks', '8'));
const threads = Number(opt('threads', '2'));
if (!dir) throw new Error('--dir <model folder> is required');

const { MusicGen } = await import('../../dist/inference/musicgen.js');
const decoderConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).decoder;
const bytes = stepBytes(decoderConfig);
const mg = await MusicGen.load(dir, { dtype, threads, decoderLayout: 'kvbuffer' });
const probe = await createGemvProbe(blocks, threads);
for (let i = 0; i < 3; i++) await probe.session.run(probe.feeds);

// The decoder session is private to MusicGen; a benchmark may reach in to time around its runs.
const decoder = mg.decoder;
const run = decoder.run.bind(decoder);
const probeMs = [];
const stepMs = [];
let stepStart = 0;
decoder.run = async (...a) => {
  const now = performance.now();
  if (stepStart) stepMs.push(now - stepStart);
  const t = performance.now();
  await probe.session.run(probe.feeds);
  probeMs.push(performance.now() - t);
  stepStart = performance.now();
  return run(...a);
};
const load0 = loadavg()[0];
const r = await mg.generate(['80s pop track with bassy drums and synth'], {
  params: { duration: seconds, cfgCoef: 3, useSampling: true, seed: 1 },
});
// stepMs[i] is decoder call i (past length i: call 0 reads the prompt only and runs the first-step
// branch, so it is left out, as is the last call, which ends in EnCodec rather than another step).
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let actual = 0;
let roof = 0;
const fractions = [];
for (let i = 1; i < stepMs.length; i++) {
  const window = probeMs.slice(Math.max(0, i - 4), i + 5);
  const bw = probe.bytes / median(window); // bytes per ms
  const ideal = (bytes.weightBytes[dtype] + i * bytes.cacheBytesPerPast) / bw;
  actual += stepMs[i];
  roof += ideal;
  fractions.push(ideal / stepMs[i]);
}
const medianProbeMs = median(probeMs);
process.stdout.write(
  `${JSON.stringify({
    dtype,
    seconds,
    steps: stepMs.length - 1,
    stepsPerSec: ((stepMs.length - 1) / actual) * 1000,
    roofStepsPerSec: ((stepMs.length - 1) / roof) * 1000,
    fractionOfRoofline: roof / actual,
    medianStepFraction: median(fractions),
    probeMedianGBps: probe.bytes / medianProbeMs / 1e6,
    probeBestGBps: probe.bytes / Math.min(...probeMs) / 1e6,
    probeWorstGBps: probe.bytes / Math.max(...probeMs) / 1e6,
    probeBytes: probe.bytes,
    decoderMs: r.timings.decoderMs,
    loadavg: [load0, loadavg()[0]],
  })}\n`,
);
process.exit(0);
