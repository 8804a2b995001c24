// Load time of musicgen-ts against transformers.js 4.3.1 on the same model folders (issue 21), and
// where ours goes. Every measurement is one fresh process; rounds interleave the contenders, so a
// burst of other work on this shared VM hits both sides of a ratio alike. Run by `npm run bench`,
// or alone:
//
//   node scripts/bench/load.js [--rounds 5] [--dtypes fp32,q8] [--stages] [--stage-rounds 3] [--write] [--preset tiny]
//   node scripts/bench/load.js --child <what> --dir <folder> --dtype fp32|q8   (one measurement, JSON)
//
// Children: `ours` = MusicGen.load(dir, {dtype}) as the library opens a folder (every session it
// keeps open, under the malloc tunables the `musicgen` command sets); `ours-command` = how `musicgen
// generate` opens it (text encoder, then the decoder after it is released: LoadOptions
// .releaseTextEncoder), `tjs` = AutoTokenizer and MusicgenForConditionalGeneration.from_pretrained(dir)
// out of the box (its three sessions, no malloc tunables); `ours-before` = `ours` under huge pages
// alone, the command's tunables before its 1 MiB mmap threshold. `--stages` opens each graph of both
// implementations alone, each in a fresh process, under variants of the session options. Every
// child reports wall and CPU time: on a shared VM the wall clock mostly measures the queue for a core.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { modelDir } from './build-models.js';
import { internalize } from './externalize.js';
import { HUGE_PAGES_ONLY_ENV, PLAIN_ENV, runBenchScript, TUNED_ENV } from './child.js';
import { f, machineLine, writeSection } from './report.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** The graphs each side opens for text-to-music (EnCodec encode opens on first use in ours). */
function graphs(dir, dtype) {
  const q = dtype === 'q8' ? '_quantized' : '';
  const onnx = (file) => join(dir, 'onnx', file);
  return {
    ours: {
      text_encoder: onnx('text_encoder.onnx'),
      decoder: onnx(`decoder_model_kvbuffer${q}.onnx`),
      encodec_frames: onnx('encodec_decode_frames.onnx'),
      encodec_upsample: onnx('encodec_decode_upsample.onnx'),
    },
    tjs: {
      text_encoder: onnx('text_encoder.onnx'),
      decoder: onnx(`decoder_model_merged${q}.onnx`),
      encodec_decode: onnx('encodec_decode.onnx'),
    },
  };
}

const bytesOf = (file) => statSync(file).size + (existsSync(`${file}_data`) ? statSync(`${file}_data`).size : 0);

// Session option variants of the stage breakdown. `ours` = what src/inference/sessions.ts sets.
const OURS = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
const VARIANTS = {
  ours: OURS,
  'tjs options': { logSeverityLevel: 2, executionProviders: ['cpu'] },
  'no malloc tunables': OURS,
  'huge pages only (before)': OURS,
  'optimisation disabled': { ...OURS, graphOptimizationLevel: 'disabled' },
  'no prepacking': { ...OURS, extra: { session: { disable_prepacking: '1' } } },
  'optimised cache': OURS,
  'weights embedded': OURS,
};
/** Variants that open each graph with musicgen-ts's own session options (under some environment). */
const OWN_OPTION_VARIANTS = new Set(['ours', 'no malloc tunables', 'huge pages only (before)']);
/** The environment each variant runs in: without the malloc tunables (as transformers.js, or a
 * library user's plain `node`), under huge pages alone (the command before its 1 MiB mmap
 * threshold), or under the command's tunables. */
const variantEnv = (v) => (v === 'tjs options' || v === 'no malloc tunables' ? PLAIN_ENV : v === 'huge pages only (before)' ? HUGE_PAGES_ONLY_ENV : TUNED_ENV);

/** CPU seconds (user + system) this process has used: on a VM whose 2 cores are shared, wall time
 * mostly measures the queue for them, CPU time what the load itself costs. */
const cpuMs = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};

async function child(what, dir, dtype) {
  const ort = await import('onnxruntime-node');
  const g = graphs(dir, dtype);
  const load0 = loadavg()[0];
  if (what === 'ours' || what === 'ours-command') {
    const { MusicGen } = await import('../../dist/inference/musicgen.js');
    const t0 = performance.now();
    const c0 = cpuMs();
    if (what === 'ours') {
      await MusicGen.load(dir, { dtype });
      return { loadMs: performance.now() - t0, cpuMs: cpuMs() - c0, load0 };
    }
    // As generate() opens them after that: the text encoder, its release, then the decoder.
    const mg = await MusicGen.load(dir, { dtype, releaseTextEncoder: true });
    const { createSession } = await import('../../dist/inference/sessions.js');
    const { TEXT_ENCODER_SESSION } = await import('../../dist/inference/textEncoderSession.js');
    await (await createSession(g.ours.text_encoder, { ...TEXT_ENCODER_SESSION })).release();
    await createSession(g.ours.decoder);
    const loadMs = performance.now() - t0;
    const cpu = cpuMs() - c0;
    await mg.dispose();
    return { loadMs, cpuMs: cpu, load0 };
  }
  if (what === 'tjs') {
    const { AutoTokenizer, env, MusicgenForConditionalGeneration } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const t0 = performance.now();
    const c0 = cpuMs();
    // What transformers.js's MusicGen example loads to generate from text: the tokenizer and the
    // model (MusicGen.load reads the folder's tokenizer too; ~0.2 s on either side).
    await AutoTokenizer.from_pretrained(dir);
    await MusicgenForConditionalGeneration.from_pretrained(dir, { dtype: { text_encoder: 'fp32', decoder_model_merged: dtype, encodec_decode: 'fp32' } });
    return { loadMs: performance.now() - t0, cpuMs: cpuMs() - c0, load0 };
  }
  if (what.startsWith('stage:') || what.startsWith('prepare:')) {
    // stage:<side>:<graph>:<variant>: one graph opened alone. prepare:...: writes the file a
    // variant opens, in a process of its own, so the measured open does not reuse memory the
    // writing freed (a second large allocation in a process faults far less than the first).
    const [, side, graph, variant] = what.split(':');
    const file = g[side][graph];
    const prepare = what.startsWith('prepare:');
    let options = VARIANTS[variant];
    // Our text encoder opens without prepacking (TEXT_ENCODER_SESSION): the variants that stand
    // for our own options open it that way; the others change one option of the prepacked OURS.
    if (side === 'ours' && graph === 'text_encoder' && OWN_OPTION_VARIANTS.has(variant)) {
      const { TEXT_ENCODER_SESSION } = await import('../../dist/inference/textEncoderSession.js');
      if (TEXT_ENCODER_SESSION.prepack === false) options = VARIANTS['no prepacking'];
    }
    let opened = file;
    if (variant === 'optimised cache') {
      // onnxruntime's own optimised graph, saved once by the first open and then opened with
      // optimisation disabled: what a content-hash-keyed cache would give. Beside the graph: the
      // saved graph still names the original's external data file.
      opened = join(dirname(file), `.optimised-${basename(file)}`);
      if (prepare && !existsSync(opened)) await (await ort.InferenceSession.create(file, { ...OURS, optimizedModelFilePath: opened })).release();
      options = { ...OURS, graphOptimizationLevel: 'disabled' };
    }
    if (variant === 'weights embedded') {
      // The graph with every weight inside the .onnx file, read into memory with the protobuf: how
      // musicgen-ts wrote its decoder before issue 21 (the converter now maps its prepacked weights
      // from `<file>_data`, as it maps the text encoder's and EnCodec's).
      if (!existsSync(`${file}_data`)) return { skipped: true };
      opened = join(dirname(file), `.embedded-${basename(file)}`);
      if (prepare && !existsSync(opened)) internalize(file, opened);
    }
    if (prepare) return { prepared: opened };
    const t0 = performance.now();
    const c0 = cpuMs();
    const s = await ort.InferenceSession.create(opened, options);
    const ms = performance.now() - t0;
    const cpu = cpuMs() - c0;
    await s.release();
    return { ms, cpuMs: cpu, bytes: bytesOf(file), load0 };
  }
  if (what.startsWith('read:')) {
    // The bytes of one graph read from the page cache: the floor of any load.
    const [, side, graph] = what.split(':');
    const file = g[side][graph];
    const t0 = performance.now();
    const c0 = cpuMs();
    readFileSync(file);
    if (existsSync(`${file}_data`)) readFileSync(`${file}_data`);
    return { ms: performance.now() - t0, cpuMs: cpuMs() - c0, bytes: bytesOf(file), load0 };
  }
  throw new Error(`unknown child ${what}`);
}

if (args.includes('--child')) {
  const r = await child(opt('child'), opt('dir'), opt('dtype', 'fp32'));
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

// ---- parent ----
const rounds = Number(opt('rounds', '5'));
const PRESET = opt('preset', 'small'); // --preset tiny: smoke test of the harness
const dtypes = opt('dtypes', 'fp32,q8').split(',');
const run = (what, dtype, env) => runBenchScript('load.js', ['--child', what, '--dir', modelDir(PRESET, dtype), '--dtype', dtype], { env });
const log = (m) => process.stderr.write(`[load] ${m}\n`);
const started = Date.now();

// Contenders in each round, alternating which goes first.
const CONTENDERS = [
  { key: 'ours', label: 'musicgen-ts, MusicGen.load (every session kept open, malloc tunables)', env: TUNED_ENV },
  { key: 'tjs', label: 'transformers.js AutoTokenizer + MusicgenForConditionalGeneration.from_pretrained, out of the box', env: PLAIN_ENV },
  { key: 'ours-command', label: 'musicgen-ts as `musicgen generate` opens it (text encoder, then decoder)', env: TUNED_ENV },
  { key: 'ours-before', label: 'musicgen-ts, MusicGen.load under huge pages only (the command before the 1 MiB threshold)', env: HUGE_PAGES_ONLY_ENV, what: 'ours' },
];
const results = {};
for (const dtype of dtypes) {
  results[dtype] = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
  // Warm the page cache with both sides' files so no round pays the disk.
  for (const c of ['ours', 'tjs']) run(c, dtype, CONTENDERS.find((x) => x.key === c).env);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...CONTENDERS].reverse() : CONTENDERS;
    for (const c of order) {
      const x = run(c.what ?? c.key, dtype, c.env);
      results[dtype][c.key].push(x);
      log(`${dtype} round ${r + 1} ${c.key}: ${f(x.loadMs / 1000, 2)} s, CPU ${f(x.cpuMs / 1000, 2)} s (load avg ${f(x.load0)})`);
    }
  }
}

// Stage breakdown: each graph alone, each variant, interleaved over rounds.
let stages = null;
const stageRounds = Number(opt('stage-rounds', '3'));
if (args.includes('--stages')) {
  stages = {};
  for (const dtype of dtypes) {
    const g = graphs(modelDir(PRESET, dtype), dtype);
    stages[dtype] = {};
    for (let r = 0; r < stageRounds; r++) {
      for (const side of ['ours', 'tjs']) {
        for (const graph of Object.keys(g[side])) {
          const vs = side === 'tjs' ? ['tjs options', 'ours'] : Object.keys(VARIANTS);
          // One untimed open first, and the variants' order rotated from round to round: on this
          // VM the first large allocation after another graph's process faults in memory the host
          // has not backed yet, which cost the first variant up to 2x (session 10).
          run(`stage:${side}:${graph}:${vs[0]}`, dtype, variantEnv(vs[0]));
          const all = [...vs, 'read'];
          for (const v of all.map((_, i) => all[(i + r) % all.length])) {
            const what = v === 'read' ? `read:${side}:${graph}` : `stage:${side}:${graph}:${v}`;
            if (v === 'optimised cache' || v === 'weights embedded') run(`prepare:${side}:${graph}:${v}`, dtype, TUNED_ENV);
            const x = run(what, dtype, v === 'read' ? TUNED_ENV : variantEnv(v));
            if (x.skipped) continue;
            const key = `${side}:${graph}:${v}`;
            (stages[dtype][key] ??= []).push(x);
            log(`${dtype} ${key}: ${f(x.ms / 1000, 2)} s, CPU ${f(x.cpuMs / 1000, 2)} s`);
          }
        }
      }
    }
  }
}

// ---- report ----
const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const minutes = (Date.now() - started) / 60000;
const sec = (ms) => f(ms / 1000, 2);
const md = ['## Load time: musicgen-ts vs transformers.js (issue 21)', ''];
md.push(
  `Measured ${when} on ${machineLine()}, onnxruntime-node 1.30.0, @huggingface/transformers 4.3.1, in ${f(minutes)} min. ` +
    'Random musicgen-small-sized folders of the decoder benchmark (both decoder layouts in one folder: ours opens the kvbuffer decoder, its prepacked weights mapped from `_data` as the converter writes it since issue 21, and EnCodec in two halves; transformers.js the merged decoder in one file, as published, and whole EnCodec; the text encoder is the same file). ' +
    `Each load is a fresh process; ${rounds} rounds, the contenders alternate their order from round to round, after one untimed load of each to warm the page cache. ` +
    'Both sides load the tokenizer with the model, as a text-to-music call needs it (transformers.js\'s MusicGen example loads `AutoTokenizer` beside the model; ~0.2 s on either side). ' +
    'onnxruntime-node creates sessions one at a time on the main thread (its Promise.all gives no overlap), so a load is the sum of its sessions. ' +
    "This VM's 2 cores are shared with other engineers' test runs (load averages per load below): wall seconds mostly measure the queue for a core, so the table gives the CPU seconds (user + system) of each load too, and ratios of loads from the same round.",
  '',
);
md.push(`Command: \`node scripts/bench/load.js --rounds ${rounds}${stages ? ` --stages --stage-rounds ${stageRounds}` : ''} --write\` (part of \`npm run bench\`).`, '');
md.push('| dtype | contender | CPU s per round | CPU ours / tjs | wall s per round | wall ours / tjs | load avg |');
md.push('|---|---|---|---:|---|---:|---|');
for (const dtype of dtypes) {
  const tjs = results[dtype].tjs;
  for (const c of CONTENDERS) {
    const xs = results[dtype][c.key];
    const ratio = (k) => (c.key === 'tjs' ? '–' : `**${f(median(xs.map((x, i) => x[k] / tjs[i][k])), 2)}x** (${xs.map((x, i) => f(x[k] / tjs[i][k], 2)).join(', ')})`);
    md.push(
      `| ${dtype} | ${c.label} | ${xs.map((x) => sec(x.cpuMs)).join(', ')} | ${ratio('cpuMs')} | ${xs.map((x) => sec(x.loadMs)).join(', ')} | ${ratio('loadMs')} | ${xs.map((x) => f(x.load0)).join(', ')} |`,
    );
  }
}
md.push('', 'Ratios: median over rounds of ours / transformers.js in the same round (each round in brackets).');
if (stages) {
  md.push('', '### Where a load goes: each graph opened alone', '');
  md.push(
    'CPU seconds (user + system) of one session creation in a fresh process, wall seconds in brackets; median of the rounds. ' +
      '"read" = reading the file and its `_data` from the page cache; "ours" = our session options (2 intra-op threads, graphOptimizationLevel all; our text encoder without weight prepacking, as it opens since issue 21, so its "no prepacking" column is the same options) under the malloc tunables the `musicgen` command sets (`' + TUNED_ENV.GLIBC_TUNABLES + '`); ' +
      '"tjs options" = transformers.js\'s (no thread setting, level all), without the tunables; "no malloc tunables" = ours without them (a library user\'s plain `node`); "huge pages only (before)" = ours under `glibc.malloc.hugetlb=1` alone, the command\'s setting before its 1 MiB mmap threshold; ' +
      '"optimised cache" = onnxruntime\'s optimised graph saved by `optimizedModelFilePath` and reopened with optimisation disabled; ' +
      '"weights embedded" = the graph with every weight inside the .onnx file (how musicgen-ts wrote its decoder before issue 21; "ours" maps the decoder\'s prepacked weights from `<file>_data`, and the text encoder\'s and EnCodec\'s).',
    '',
  );
  const variants = Object.keys(VARIANTS);
  md.push(`| dtype | graph | MB | read | ${variants.join(' | ')} |`);
  md.push(`|---|---|---:|---:|${variants.map(() => '---:').join('|')}|`);
  for (const dtype of dtypes) {
    const g = graphs(modelDir(PRESET, dtype), dtype);
    for (const side of ['ours', 'tjs']) {
      for (const graph of Object.keys(g[side])) {
        const cell = (v) => {
          const xs = stages[dtype][`${side}:${graph}:${v}`];
          return xs ? `${sec(median(xs.map((x) => x.cpuMs)))} (${sec(median(xs.map((x) => x.ms)))})` : '–';
        };
        const mb = stages[dtype][`${side}:${graph}:read`]?.[0]?.bytes / 1e6;
        md.push(`| ${dtype} | ${side === 'ours' ? 'ours' : 'tjs'} ${graph} | ${f(mb, 0)} | ${cell('read')} | ${variants.map(cell).join(' | ')} |`);
      }
    }
  }
}
const text = md.join('\n');
process.stdout.write(`${text}\n`);
if (args.includes('--write')) writeSection('load', text);
