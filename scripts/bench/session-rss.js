// Resident memory of one onnxruntime session right after it is created: how much of a graph's
// file size a process keeps (BENCHMARKS.md, session 5). Run under the malloc settings to compare:
//
//   node scripts/bench/session-rss.js <file.onnx>
//   GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576 node scripts/bench/session-rss.js <file.onnx>
//
// Prints one JSON line: file bytes (with its `_data` side file), load seconds, and GiB of VmRSS /
// RssAnon / RssFile / VmHWM and AnonHugePages from /proc/self.
import { existsSync, readFileSync } from 'node:fs';
import { createSession } from '../../dist/inference/sessions.js';
import { graphBytes, processMemory } from './report.js';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  process.stderr.write('usage: node scripts/bench/session-rss.js <file.onnx>\n');
  process.exit(2);
}
const gib = (bytes) => Math.round((bytes / 2 ** 30) * 1000) / 1000;
const t0 = performance.now();
// Held until the end: an unreferenced session can be collected, and its memory with it.
const session = await createSession(file, { threads: 2 }); // as MusicGen.load opens a decoder
const loadS = (performance.now() - t0) / 1000;
const m = processMemory();
const anonHugeKb = Number(readFileSync('/proc/self/smaps_rollup', 'utf8').match(/AnonHugePages:\s+(\d+)/)?.[1] ?? NaN);
const fileGiB = gib(graphBytes(file));
const out = {
  file,
  fileGiB,
  tunables: process.env.GLIBC_TUNABLES ?? '',
  loadS: Math.round(loadS * 10) / 10,
  rssGiB: gib(m.rss),
  anonGiB: gib(m.anon),
  fileMappedGiB: gib(m.file),
  hwmGiB: gib(m.hwm),
  anonHugeGiB: gib(anonHugeKb * 1024),
  anonOverFile: Math.round((gib(m.anon) / fileGiB) * 100) / 100,
  inputs: session.inputNames.length,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
