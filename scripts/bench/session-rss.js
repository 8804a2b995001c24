// Resident memory of one onnxruntime session right after it is created: how much of a graph's
// file size a process keeps (BENCHMARKS.md, session 5). Run under the malloc settings to compare:
//
//   node scripts/bench/session-rss.js <file.onnx>
//   GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576 node scripts/bench/session-rss.js <file.onnx>
//
// Prints one JSON line: file bytes (with its `_data` side file), load seconds, and GiB of VmRSS /
// RssAnon / RssFile / VmHWM and AnonHugePages from /proc/self.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  process.stderr.write('usage: node scripts/bench/session-rss.js <file.onnx>\n');
  process.exit(2);
}
const kib = (text, key) => Number(text.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? NaN);
const gib = (k) => Math.round((k / 2 ** 20) * 1000) / 1000;
const t0 = performance.now();
await ort.InferenceSession.create(file, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
const loadS = (performance.now() - t0) / 1000;
const status = readFileSync('/proc/self/status', 'utf8');
const smaps = readFileSync('/proc/self/smaps_rollup', 'utf8');
const bytes = [file, `${file}_data`].filter(existsSync).reduce((a, f) => a + statSync(f).size, 0);
const out = {
  file,
  fileGiB: gib(bytes / 1024),
  tunables: process.env.GLIBC_TUNABLES ?? '',
  loadS: Math.round(loadS * 10) / 10,
  rssGiB: gib(kib(status, 'VmRSS')),
  anonGiB: gib(kib(status, 'RssAnon')),
  fileMappedGiB: gib(kib(status, 'RssFile')),
  hwmGiB: gib(kib(status, 'VmHWM')),
  anonHugeGiB: gib(kib(smaps, 'AnonHugePages')),
};
out.anonOverFile = Math.round((out.anonGiB / out.fileGiB) * 100) / 100;
process.stdout.write(`${JSON.stringify(out)}\n`);
