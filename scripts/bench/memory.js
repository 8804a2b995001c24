// Peak RSS of the decoder session vs onnxruntime-node session options and model-file layouts
// (issue 8: peak RSS <= 1.3x the .onnx files loaded). Each variant runs in its own process
// (scripts/bench/steps.js --memory, so maxRSS is its own): RSS right after InferenceSession.create
// (anonymous / file-backed), peak RSS after 3 + runs steps at each past length, and the median step
// time at those lengths. Prints a markdown table per dtype.
//
//   node scripts/bench/memory.js [--dtypes fp32,q8] [--only base,ext4k,...] [--past 10,500] [--runs 9] [--keep]
//
// Needs the cached random musicgen-small folders (node scripts/bench/build-models.js small fp32,q8);
// they are only read. Layout variants are written under /tmp/rss-study (MUSICGEN_RSS_STUDY_DIR),
// ~1.7 GB per fp32 decoder copy (the ORT-saved prepacked copy ~3.4 GB), and deleted at the end
// unless --keep. Heavy: run it alone on the machine (fp32: ~1 min per variant on 2 cores).
//
// Layouts (decoder_model_kvbuffer{,_quantized}.onnx of the folder, rewritten):
//   embedded  the folder's file as the converter wrote it: weights inside the protobuf until session 4
//             of 2026-11-24; since then the converter writes external data, so this row is ext64 again
//   ext64     weights in <file>_data, 64-byte aligned offsets (as src/convert/serialize.ts forceExternalData)
//   ext4k     the same with 4096-byte (page) aligned offsets
//   prepacked saved by onnxruntime itself (optimizedModelFilePath) with
//             session.save_external_prepacked_constant_initializers = 1: graph optimized, weights and
//             the kernels' prepacked weights in an external file that is memory-mapped on load
//
// Findings of 2026-11-24 (onnxruntime-node 1.30, Linux; the report lists the figures): no session option
// moves RSS (arena, mem pattern, device allocator for initializers: +-0.01 GiB); external data takes
// the fp32 decoder from 2.50 to 1.63 GiB after create (q8 0.73 -> 0.47) with no resolvable step-time
// change; embedded files keep ~0.85 GiB of freed load-time heap in glibc (MALLOC_MMAP_THRESHOLD_
// gives it back); the ORT-saved prepacked file maps everything (0.1 GiB after create) but is
// machine-specific, twice the size on disk, and needs the If-subgraph fix-up in saveWithOrt.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { modelDir } from './build-models.js';
import { forEachInitializer, externalize } from './externalize.js';

const { onnx } = onnxProto;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const here = dirname(fileURLToPath(import.meta.url));
const studyDir = process.env.MUSICGEN_RSS_STUDY_DIR ?? '/tmp/rss-study';
const EXTERNAL_MIN_BYTES = 1024; // as src/convert/serialize.ts

const sourceFile = (dtype) => join(modelDir('small', dtype), 'onnx', `decoder_model_kvbuffer${dtype === 'q8' ? '_quantized' : ''}.onnx`);
const layoutFile = (dtype, layout) => (layout === 'embedded' ? sourceFile(dtype) : join(studyDir, `${dtype}-${layout}`, 'decoder.onnx'));

// ---------------------------------------------------------------------------------------------
// Layout preparation (each in its own child process: decoding a 1.7 GB protobuf peaks at ~3.5 GB)

/** onnxruntime optimizes `src` and saves it with external initializers and the kernels' prepacked weights. */
export async function saveWithOrt(src, dst) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(src, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    optimizedModelFilePath: dst,
    extra: {
      session: {
        optimized_model_external_initializers_file_name: `${basename(dst)}_data`,
        optimized_model_external_initializers_min_size_in_bytes: String(EXTERNAL_MIN_BYTES),
        save_external_prepacked_constant_initializers: '1',
      },
    },
  });
  await session.release();
  // onnxruntime 1.30 writes the initializers of an If subgraph twice (inline, then external with
  // its prepacked_* entries) and then refuses the file ("initializer name is not unique"): keep the last.
  const model = onnx.ModelProto.decode(readFileSync(dst));
  const dedupe = (g) => {
    const last = new Map((g.initializer ?? []).map((t, i) => [t.name, i]));
    g.initializer = (g.initializer ?? []).filter((t, i) => last.get(t.name) === i);
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.g) dedupe(a.g);
  };
  dedupe(model.graph);
  writeFileSync(dst, onnx.ModelProto.encode(model).finish());
}

/** Offsets of the external tensors of >= 1 MB: how many are page-aligned (onnxruntime maps only those, per its model_saving_options.h). */
export function alignmentReport(file) {
  const model = onnx.ModelProto.decode(readFileSync(file));
  let big = 0;
  let aligned = 0;
  forEachInitializer(model.graph, (t) => {
    const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (!kv.length || Number(kv.length) < 2 ** 20) return;
    big++;
    if (Number(kv.offset ?? 0) % 4096 === 0) aligned++;
  });
  return `${aligned}/${big} external tensors of >= 1 MB page-aligned`;
}

const filesOf = (file) => [file, `${file}_data`].filter((f) => existsSync(f));
const bytesOf = (file) => filesOf(file).reduce((a, f) => a + statSync(f).size, 0);

function prepare(dtype, layout) {
  const dst = layoutFile(dtype, layout);
  if (layout === 'embedded' || existsSync(dst)) return;
  mkdirSync(dirname(dst), { recursive: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--prepare', layout, '--dtype', dtype], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`preparing ${dtype} ${layout} failed (exit ${r.status})`);
  process.stderr.write(`prepared ${dst} (${(bytesOf(dst) / 1e9).toFixed(2)} GB, ${alignmentReport(dst)}) in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain && args.includes('--prepare')) {
  const layout = opt('prepare');
  const dtype = opt('dtype', 'fp32');
  const dst = layoutFile(dtype, layout);
  try {
    if (layout === 'ext64') externalize(sourceFile(dtype), dst, 64);
    else if (layout === 'ext4k') externalize(sourceFile(dtype), dst, 4096);
    else if (layout === 'prepacked') await saveWithOrt(sourceFile(dtype), dst);
    else throw new Error(`unknown layout ${layout}`);
  } catch (e) {
    for (const f of [dst, `${dst}_data`]) rmSync(f, { force: true }); // the .onnx is what marks a layout as prepared
    throw e;
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Variants: a layout, extra session options (merged over src/inference/sessions.ts createSession's), a note.

const cfg = (entries) => ({ extra: { session: entries } });
const VARIANTS = [
  { id: 'base', layout: 'embedded', options: {}, note: 'createSession today (path)' },
  { id: 'buffer', layout: 'embedded', options: {}, buffer: true, note: 'model bytes passed as a Buffer' },
  { id: 'noarena', layout: 'embedded', options: { enableCpuMemArena: false }, note: 'enableCpuMemArena: false' },
  { id: 'nopattern', layout: 'embedded', options: { enableMemPattern: false }, note: 'enableMemPattern: false' },
  { id: 'devinit', layout: 'embedded', options: cfg({ use_device_allocator_for_initializers: '1' }), note: 'session.use_device_allocator_for_initializers=1' },
  {
    id: 'nopattern+devinit',
    layout: 'embedded',
    options: { enableMemPattern: false, ...cfg({ use_device_allocator_for_initializers: '1' }) },
    note: 'enableMemPattern: false + use_device_allocator_for_initializers=1',
  },
  {
    id: 'noarena+nopattern',
    layout: 'embedded',
    options: { enableCpuMemArena: false, enableMemPattern: false },
    note: 'enableCpuMemArena: false + enableMemPattern: false',
  },
  {
    id: 'malloc1m',
    layout: 'embedded',
    options: {},
    env: { MALLOC_MMAP_THRESHOLD_: '1048576' },
    note: 'createSession today, process env MALLOC_MMAP_THRESHOLD_=1048576 (glibc: blocks >= 1 MiB mmapped, so freed ones go back to the OS)',
  },
  { id: 'noprepack', layout: 'embedded', options: cfg({ disable_prepacking: '1' }), note: 'session.disable_prepacking=1 (reference)' },
  { id: 'ext64', layout: 'ext64', options: {}, note: 'external data, 64-byte offsets (our writer)' },
  { id: 'ext4k', layout: 'ext4k', options: {}, note: 'external data, 4096-byte offsets' },
  {
    id: 'ext4k+nopattern+devinit',
    layout: 'ext4k',
    options: { enableMemPattern: false, ...cfg({ use_device_allocator_for_initializers: '1' }) },
    note: 'ext4k + enableMemPattern: false + use_device_allocator_for_initializers=1',
  },
  { id: 'prepacked', layout: 'prepacked', options: {}, note: 'ORT-saved, prepacked weights external (mmap), optimization all' },
  {
    id: 'prepacked-noopt',
    layout: 'prepacked',
    options: { graphOptimizationLevel: 'disabled' },
    note: 'ORT-saved prepacked, loaded with graphOptimizationLevel disabled',
  },
  { id: 'base (again)', layout: 'embedded', options: {}, note: 'createSession today, repeated last (drift)' },
];

function measure(dtype, v) {
  const file = layoutFile(dtype, v.layout);
  const childArgs = [
    '--expose-gc',
    join(here, 'steps.js'),
    '--dir', modelDir('small', dtype),
    '--dtype', dtype,
    '--layout', 'kvbuffer',
    '--file', file,
    '--past', opt('past', '10,500'),
    '--runs', opt('runs', '9'),
    '--memory',
    '--options', JSON.stringify(v.options),
    ...(v.buffer ? ['--buffer'] : []),
  ];
  process.stderr.write(`\n[${new Date().toISOString().slice(11, 19)}] ${dtype} ${v.id} (load ${loadavg()[0].toFixed(2)})\n`);
  const r = spawnSync(process.execPath, childArgs, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    timeout: 20 * 60_000,
    env: { ...process.env, ...(v.env ?? {}) },
  });
  const line = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) return { v, error: `exit ${r.status}${r.signal ? ` ${r.signal}` : ''}` };
  return { v, res: JSON.parse(line), files: bytesOf(file) };
}

const GiB = (b) => (b / 2 ** 30).toFixed(2);
function table(dtype, rows) {
  const shipped = statSync(sourceFile(dtype)).size;
  const pasts = opt('past', '10,500').split(',');
  const out = [
    `### ${dtype}: decoder_model_kvbuffer${dtype === 'q8' ? '_quantized' : ''}, ${opt('runs', '9')} runs per past length after 3 warm-ups, 2 threads`,
    '',
    `| variant | what | files GB | load s | RSS after create GiB (anon + file) | RSS after steps GiB (anon + file) | peak RSS GiB | peak / files | peak / shipped file | ${pasts.map((p) => `P=${p} ms`).join(' | ')} | load avg |`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|${pasts.map(() => '---:').join('|')}|---:|`,
  ];
  for (const { v, res, files, error } of rows) {
    if (error) {
      out.push(`| ${v.id} | ${v.note} | – | – | failed: ${error} | – | – | – | – | ${pasts.map(() => '–').join(' | ')} | – |`);
      continue;
    }
    const m = res.memory;
    const ms = pasts.map((p) => res.points.find((q) => q.past === Number(p))?.medianMs.toFixed(1) ?? '–');
    const loads = res.points.map((p) => p.loadavg.toFixed(1)).join('-');
    out.push(
      `| ${v.id} | ${v.note} | ${(files / 1e9).toFixed(2)} | ${(res.loadMs / 1000).toFixed(1)} | ${GiB(m.afterCreate.rss)} (${GiB(m.afterCreate.anon)} + ${GiB(m.afterCreate.file)}) | ${GiB(m.afterSteps.rss)} (${GiB(m.afterSteps.anon)} + ${GiB(m.afterSteps.file)}) | ${GiB(res.maxRssBytes)} | ${(res.maxRssBytes / files).toFixed(2)}x | ${(res.maxRssBytes / shipped).toFixed(2)}x | ${ms.join(' | ')} | ${loads} |`,
    );
  }
  return out.join('\n');
}

if (isMain) {
  const dtypes = opt('dtypes', 'fp32,q8').split(',');
  const only = opt('only') ? new Set(opt('only').split(',')) : null;
  const variants = VARIANTS.filter((v) => !only || only.has(v.id));
  const started = new Date().toISOString();
  const load0 = loadavg().map((x) => x.toFixed(2)).join(', ');
  try {
    for (const dtype of dtypes) {
      for (const layout of new Set(variants.map((v) => v.layout))) prepare(dtype, layout);
      const rows = variants.map((v) => measure(dtype, v));
      process.stdout.write(`\n${table(dtype, rows)}\n`);
    }
  } finally {
    if (!args.includes('--keep')) rmSync(studyDir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nRun ${started} -> ${new Date().toISOString()}, load average (1/5/15 min) at start ${load0}, at end ${loadavg().map((x) => x.toFixed(2)).join(', ')}.\n` +
      `"files" = the .onnx plus its _data file; "shipped file" = the folder's decoder with embedded weights (what the layouts were made from); peak RSS = the child's maxRSS (VmHWM, file-backed pages included).\n`,
  );
}
