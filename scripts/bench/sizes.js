// Model-size comparison (issue 8): random musicgen-small, -medium and -large-sized folders, each
// built once into the bench cache, each generating 10 s of audio with CFG 3 in its own process
// (scripts/bench/contender.js, our kvbuffer decoder, 2 threads, malloc tunables), with a bandwidth probe in the
// same run for the roofline. Run by `npm run bench` (skip with --no-sizes) or alone:
//
//   node scripts/bench/sizes.js [--sizes small:fp32,...,large:fp32 (default: all six)] [--seconds 10] [--write]
//
// Every size runs in both precisions: with external data (files over 2 GB) onnxruntime maps the
// weights and drops them once prepacked, so even large in fp32 (13.5 GB of files) peaks near 1.15x
// its files; building it takes ~15 GB for a few minutes, once.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { cacheDir, modelDir } from './build-models.js';
import { runBenchScript as child, TUNED_ENV } from './child.js';
import { f, machineLine, rooflineStepsPerSec, stepBytes, writeSection } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
export const DEFAULT_SIZES = 'small:fp32,small:q8,medium:q8,medium:fp32,large:q8,large:fp32';
const sizes = opt('sizes', DEFAULT_SIZES)
  .split(',')
  .map((s) => {
    const [preset, dtype] = s.split(':');
    if (!['small', 'medium', 'large'].includes(preset) || !['fp32', 'q8'].includes(dtype)) {
      throw new Error(`--sizes: "${s}" is not preset:dtype with preset small|medium|large and dtype fp32|q8`);
    }
    return { preset, dtype };
  });
const SECONDS = Number(opt('seconds', '10'));
const write = args.includes('--write');
const started = Date.now();

function log(msg) {
  process.stderr.write(`[sizes ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
}

const rows = [];
for (const { preset, dtype } of sizes) {
  try {
    log(`${preset} ${dtype}: build (cached after the first run)`);
    child('build-models.js', [preset, dtype], { json: false });
    const dir = modelDir(preset, dtype);
    const decoder = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).decoder;
    log(`${preset} ${dtype}: load + ${SECONDS} s of audio (free memory ${f(freemem() / 2 ** 30)} GiB)`);
    const r = child('contender.js', ['--impl', 'ours', '--dir', dir, '--dtype', dtype, '--seconds', String(SECONDS), '--layout', 'kvbuffer']);
    log(`  ${f(r.stepsPerSec, 2)} steps/s, RTF ${f(r.rtf, 2)}, load ${f(r.loadMs / 1000)} s, peak RSS ${f(r.maxRssBytes / 2 ** 30, 2)} GiB`);
    rows.push({ preset, dtype, decoder, ...r });
  } catch (e) {
    log(`FAILED: ${e.message}`);
    rows.push({ preset, dtype, error: e.message });
  }
}

log('memory bandwidth probe');
const bandwidth = child('bandwidth.js', ['--blocks', '16', '--runs', '15']);
const minutes = (Date.now() - started) / 60000;
const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const raw = { when, seconds: SECONDS, rows, bandwidth, minutes };
mkdirSync(join(cacheDir(), 'results'), { recursive: true });
writeFileSync(join(cacheDir(), 'results', `sizes-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(raw, null, 2));

const md = ['## Model sizes: small, medium, large (issue 8)', ''];
md.push(
  `Measured ${when} on ${machineLine()} (${f(totalmem() / 2 ** 30, 0)} GiB), onnxruntime-node 1.30.0, in ${f(minutes)} min. ` +
    `Random folders of the published sizes (\`musicgen synth --preset small|medium|large\`: 24 x 1024 / 48 x 1536 / 48 x 2048 decoder layers, T5-base text encoder, EnCodec 32 kHz), ` +
    `our kvbuffer decoder, 2 threads, glibc malloc tunables as the \`musicgen\` command sets them (\`${TUNED_ENV.GLIBC_TUNABLES}\`), ${SECONDS} s of audio with CFG 3, one prompt, sampling; each row in its own process. ` +
    `Memory bandwidth probe in the same run: ${f(bandwidth.gemv.medianGBps)} GB/s median (load average ${f(bandwidth.loadavg)}).`,
  '',
  `Command: \`node scripts/bench/sizes.js --write\` (also part of \`npm run bench\`; first run builds the folders into the bench cache: ` +
    `medium q8 ~2 min, large q8 ~5 min, medium fp32 ~3 min, large fp32 ~7 min).`,
  '',
  '| size | dtype | decoder weights GB | files GB | load s | decode steps/s | median step ms | % of roofline | RTF | peak RSS GiB | RSS / files | load avg |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
);
for (const r of rows) {
  if (r.error) {
    md.push(`| ${r.preset} | ${r.dtype} | failed: ${r.error} | | | | | | | | | |`);
    continue;
  }
  const bytes = stepBytes(r.decoder);
  const roof = rooflineStepsPerSec(bytes, r.dtype, SECONDS, bandwidth.gemv.medianGBps);
  md.push(
    `| ${r.preset} | ${r.dtype} | ${f(bytes.weightBytes[r.dtype] / 1e9, 2)} | ${f(r.filesBytes / 1e9, 2)} | ${f(r.loadMs / 1000)} | ${f(r.stepsPerSec, 2)} | ${f(r.medianStepMs)} | ${f((100 * r.stepsPerSec) / roof, 0)} % | ${f(r.rtf, 2)} | ${f(r.maxRssBytes / 2 ** 30, 2)} | ${f(r.maxRssBytes / r.filesBytes, 2)}x | ${f(r.loadavg[0])}-${f(r.loadavg[1])} |`,
  );
}
md.push(
  '',
  'Decoder weights = bytes a cached step reads (roofline: those plus the KV cache at the average past length, at the probe\'s median bandwidth; the probe runs after the rows and this VM drifts ~20 % over minutes, so read that column with that margin). ' +
    'RTF = wall time of generate (text encoder, decoder, EnCodec) / audio duration. Files = the four .onnx graphs with their external data.',
  '',
);
const text = md.join('\n');
process.stdout.write(`${text}\n`);
if (write) {
  writeSection('sizes', text);
  log('BENCHMARKS.md updated');
}
