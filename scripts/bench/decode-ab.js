// Decode speed of our kvbuffer decoder with its weights embedded (every weight inside the .onnx,
// as musicgen-ts wrote it before issue 21) against mapped (the weights onnxruntime prepacks in
// `<file>_data`, the rest inside: what the converter writes now), with and without the malloc
// tunables the `musicgen` command sets. Session 6 saw an all-mapped decoder stall for up to 1 s on
// a third of its steps without the tunables in one page-cache state (BENCHMARKS.md "Session 6");
// this is the check that the current layout does not. Run it on an idle machine:
//
//   node scripts/bench/decode-ab.js [--rounds 3] [--dtypes fp32,q8] [--seconds 10] [--preset small] [--write]
//
// Each run is `contender.js --impl ours` in its own process: load as `musicgen generate` does,
// then `--seconds` of audio for one prompt, CFG 3, sampling, 2 threads. A round runs every
// (dtype, tunables) pair with both layouts, alternating which goes first from round to round.
// The two layouts live in sibling folders of the bench folder (`<folder>-decoder-embedded`,
// `<folder>-decoder-mapped`) with the same other files, so only the decoder differs. Every `_data`
// file is a copy, not a hard link: the A/B's page-cache state is then its own, and onnxruntime
// refuses a second link to a file that holds a subgraph's external data ("potential hardlink attack").
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { hasMappedWeights } from '../../dist/convert/graphFiles.js';
import { mapDecoderWeights } from '../../dist/convert/mapDecoderWeights.js';
import { modelDir } from './build-models.js';
import { PLAIN_ENV, runBenchScript, TUNED_ENV } from './child.js';
import { internalize } from './externalize.js';
import { f, machineLine, writeSection } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const rounds = Number(opt('rounds', '3'));
const dtypes = opt('dtypes', 'fp32,q8').split(',');
const seconds = Number(opt('seconds', '10'));
const PRESET = opt('preset', 'small'); // --preset tiny: smoke test of the harness
const log = (m) => process.stderr.write(`[decode-ab] ${m}\n`);
const LAYOUTS = ['embedded', 'mapped'];
const ENVS = [
  { key: 'tunables', label: 'malloc tunables (the `musicgen` command)', env: TUNED_ENV },
  { key: 'plain', label: 'no malloc tunables (plain `node`)', env: PLAIN_ENV },
];

/**
 * `<bench folder>-decoder-<layout>`: the bench folder's files (graphs hard-linked, `_data` copied)
 * but its kvbuffer decoder, written in that layout (once; assembled under a temporary name and renamed).
 */
function variantFolder(dtype, layout) {
  const src = modelDir(PRESET, dtype);
  const dst = `${src}-decoder-${layout}`;
  if (existsSync(join(dst, 'config.json'))) return dst;
  const decoder = `decoder_model_kvbuffer${dtype === 'q8' ? '_quantized' : ''}.onnx`;
  const tmp = `${dst}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  try {
    for (const sub of ['', 'onnx']) {
      for (const e of readdirSync(join(src, sub), { withFileTypes: true })) {
        if (!e.isFile() || e.name.startsWith('.') || e.name.startsWith('decoder_model_')) continue;
        (e.name.endsWith('_data') ? copyFileSync : linkSync)(join(src, sub, e.name), join(tmp, sub, e.name));
      }
    }
    const from = join(src, 'onnx', decoder);
    const to = join(tmp, 'onnx', decoder);
    if (layout === 'embedded') {
      if (hasMappedWeights(from)) internalize(from, to);
      else linkSync(from, to);
    } else {
      linkSync(from, to);
      if (existsSync(`${from}_data`)) copyFileSync(`${from}_data`, `${to}_data`);
      // Rewrites the copy in the current layout (new files: the bench folder's stay as they were).
      mapDecoderWeights(to);
    }
    const mapped = hasMappedWeights(to);
    if (mapped !== (layout === 'mapped')) throw new Error(`${to}: expected the ${layout} layout`);
    renameSync(tmp, dst);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`prepared ${dst}`);
  return dst;
}

const started = Date.now();
const results = {};
for (const dtype of dtypes) for (const e of ENVS) for (const l of LAYOUTS) results[`${dtype}:${e.key}:${l}`] = [];
const folders = Object.fromEntries(dtypes.flatMap((d) => LAYOUTS.map((l) => [`${d}:${l}`, variantFolder(d, l)])));
for (let r = 0; r < rounds; r++) {
  for (const dtype of dtypes) {
    for (const e of ENVS) {
      const order = r % 2 ? [...LAYOUTS].reverse() : LAYOUTS;
      for (const layout of order) {
        const x = runBenchScript('contender.js', ['--impl', 'ours', '--dir', folders[`${dtype}:${layout}`], '--dtype', dtype, '--threads', '2', '--seconds', String(seconds), '--release-text-encoder'], { env: e.env });
        results[`${dtype}:${e.key}:${layout}`].push(x);
        log(
          `round ${r + 1} ${dtype} ${e.key} ${layout}: ${f(x.stepsPerSec, 2)} steps/s, median step ${f(x.medianStepMs)} ms, ` +
            `${x.slowSteps} slow (max ${f(x.maxStepMs)} ms), load ${f(x.loadMs / 1000, 2)} s (load avg ${f(loadavg()[0])})`,
        );
      }
    }
  }
}

// ---- report ----
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const md = ['## Decode speed: decoder weights embedded vs mapped (issue 21)', ''];
md.push(
  `Measured ${when} on ${machineLine()}, onnxruntime-node 1.30.0, in ${f((Date.now() - started) / 60000)} min. ` +
    `Random ${PRESET}-sized folders of the decoder benchmark; ${seconds} s of audio, one prompt, CFG 3, sampling, 2 threads, loaded as \`musicgen generate\` does; each run in its own process; ${rounds} rounds, the layouts alternating which goes first. ` +
    '"embedded" = every weight inside the .onnx file (musicgen-ts before issue 21); "mapped" = the weights onnxruntime prepacks in `<file>_data`, the rest inside (the converter now). ' +
    'Slow steps = steps over twice the run\'s median step (session 6\'s stalls showed up so).',
  '',
);
md.push(`Command: \`node scripts/bench/decode-ab.js --rounds ${rounds} --dtypes ${dtypes.join(',')} --seconds ${seconds}${args.includes('--write') ? ' --write' : ''}\`.`, '');
md.push('| dtype | malloc | decoder | steps/s per round | mapped / embedded | median step ms | slow steps (max ms) | load s | load avg |');
md.push('|---|---|---|---|---:|---|---|---|---|');
for (const dtype of dtypes) {
  for (const e of ENVS) {
    const emb = results[`${dtype}:${e.key}:embedded`];
    for (const layout of LAYOUTS) {
      const xs = results[`${dtype}:${e.key}:${layout}`];
      const ratio = layout === 'mapped' ? `**${f(median(xs.map((x, i) => x.stepsPerSec / emb[i].stepsPerSec)), 2)}x** (${xs.map((x, i) => f(x.stepsPerSec / emb[i].stepsPerSec, 2)).join(', ')})` : '–';
      md.push(
        `| ${dtype} | ${e.label} | ${layout} | ${xs.map((x) => f(x.stepsPerSec, 2)).join(', ')} | ${ratio} | ${xs.map((x) => f(x.medianStepMs)).join(', ')} | ` +
          `${xs.map((x) => `${x.slowSteps} (${f(x.maxStepMs, 0)})`).join(', ')} | ${xs.map((x) => f(x.loadMs / 1000, 2)).join(', ')} | ${xs.map((x) => f(x.loadavg[0])).join(', ')} |`,
      );
    }
  }
}
md.push('', 'mapped / embedded: median over rounds of the steps/s ratio of the same round (each round in brackets).');
const text = md.join('\n');
process.stdout.write(`${text}\n`);
if (args.includes('--write')) writeSection('decode-ab', text);
