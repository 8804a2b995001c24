// BENCHMARKS.md sections owned by the benchmark scripts: each lives between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and is replaced in place; everything else in
// the file (other people's sections) is kept. The file is re-read right before writing.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateModelFiles } from '../../dist/model/modelFiles.js';

export const BENCHMARKS_MD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'BENCHMARKS.md');

export function writeSection(name, body) {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  const tmp = `${BENCHMARKS_MD}.tmp-${process.pid}`;
  writeFileSync(tmp, next);
  renameSync(tmp, BENCHMARKS_MD);
}

export function machineLine() {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'}, ${c.length} cores, Node ${process.version}`;
}

/** Relative L2 distance of a from the reference b (0 when equal). */
export function relL2(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/**
 * Bytes a cached decoder step reads, from config.json's decoder block: self q/k/v/out + cross
 * q/out (6 H^2) and fc1/fc2 per layer, plus the fused LM heads (cross-attention k/v and
 * enc_to_dec_proj run on the first step only); q8 = one byte per weight plus a float32 scale and
 * an int8 zero point per output column. The KV cache adds K and V of every layer for the 2 CFG
 * rows, float32, per past step.
 */
export function stepBytes(decoder) {
  const H = decoder.hidden_size;
  const L = decoder.num_hidden_layers;
  const F = decoder.ffn_dim;
  const KV = decoder.num_codebooks * decoder.vocab_size;
  const params = L * (6 * H * H + 2 * H * F) + H * KV;
  return {
    params,
    weightBytes: { fp32: params * 4, q8: params + (L * (7 * H + F) + KV) * 5 },
    cacheBytesPerPast: 2 * L * 2 * H * 4,
  };
}

/** Steps/s the median bandwidth allows over `seconds` of audio (average past = half the steps). */
export function rooflineStepsPerSec(bytes, dtype, seconds, bandwidthGBps) {
  const avgPast = (seconds * 50 + 3) / 2;
  return (bandwidthGBps * 1e9) / (bytes.weightBytes[dtype] + avgPast * bytes.cacheBytesPerPast);
}

/** A graph's bytes with its external data file (`<file>_data`), if it has one. */
export function graphBytes(path) {
  return [path, `${path}_data`].filter(existsSync).reduce((a, x) => a + statSync(x).size, 0);
}

/**
 * Bytes of the graphs MusicGen.load opens in a folder for text-to-music, as it picks them (EnCodec
 * decode in two halves where the folder has them; EnCodec encode waits for a melody or continuation).
 */
export function oursFilesBytes(dir, dtype, layout = 'kvbuffer') {
  const files = locateModelFiles(dir, dtype, layout);
  const codec = files.encodecDecode.kind === 'split' ? [files.encodecDecode.frames, files.encodecDecode.upsample] : [files.encodecDecode.graph];
  return [files.textEncoder, files.decoder, ...codec].reduce((a, x) => a + graphBytes(x), 0);
}

/** Resident set of this process by kind, in bytes (Linux /proc/self/status). */
export function processMemory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

export const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));

/** Markdown of the int8 formulation study (scripts/bench/int8-formulations.js --json output). */
export function int8Markdown(r, command, when) {
  const lines = [
    '## Int8 formulations of the decoder weights (issue 2)',
    '',
    `Measured ${when} on ${machineLine()}, onnxruntime-node 1.30.0. A slice of a musicgen-small-sized decoder step:`,
    `${r.layers} pre-LN blocks of ${r.hidden} hidden (self q/k/v/out, cross q/out, fc1 ${r.ffn} + GELU + fc2) and the fused`,
    `LM heads [${r.hidden}, ${r.headsN}], input [${r.batch}, 1, ${r.hidden}] (CFG batch 2, one position per step), ${r.threads} intra-op`,
    `threads, graph optimisation 'all'. Same seeded fp32 weights for every formulation; symmetric`,
    `int8 (per output column, or per block of K for MatMulNBits). Time = median of ${r.rounds * r.runs} runs in ${r.rounds}`,
    'interleaved rounds (p10 in brackets: this VM is shared, the load average was',
    `${f(r.loadavg?.[0])} -> ${f(r.loadavg?.[1])}). Error: worst relative L2 of the logits vs fp32 over 8 inputs; argmax = rows`,
    'whose greedy token equals fp32\'s.',
    '',
    '| formulation | weights MB | ms / step (p10) | vs fp32 | weight GB/s | rel. L2 vs fp32 | argmax same | load s | RSS +MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    if (x.error) {
      lines.push(`| \`${x.name}\` ${x.label} | – | fails: ${x.error.replace(/\|/g, '/')} | | | | | | |`);
      continue;
    }
    lines.push(
      `| \`${x.name}\` ${x.label} | ${f(x.weightBytes / 1e6, 0)} | ${f(x.ms, 2)} (${f(x.p10, 2)}) | ${f(x.speedup, 2)}x | ${f(x.gbps, 1)} | ${x.relL2.toExponential(1)} | ${x.argmaxSame}/${x.argmaxRows} | ${f(x.loadMs / 1000, 2)} | ${f(x.rssDeltaMB, 0)} |`,
    );
  }
  lines.push('', `Command: \`${command}\``);
  return lines.join('\n');
}
