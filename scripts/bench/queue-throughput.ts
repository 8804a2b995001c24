// Throughput of a queued sweep (issue 23): the same N-sample sweep collected from 1 worker, then
// from 2 workers (each `musicgen worker --threads 1`), in the same run, against a throwaway
// redis-server (appendonly, as a study runs it) on a free loopback port. Also: the queue and
// transfer overhead per job (the collector's wall time minus the workers' generation time), and
// the memory (VmRSS of the whole process tree) of an idle worker, before its first job and after
// the run with its model loaded. Both runs must give the same codes (checked).
//
//   npm run build && npx tsx scripts/bench/queue-throughput.ts [--model DIR] [--dtype q8]
//     [--samples 32] [--duration 2] [--max-batch 4] [--section queue-throughput] [--write]
//
// --model defaults to the embedded tiny model (a smoke test of the harness); `npm run bench` passes
// the musicgen-small-sized folder. Workers run the built command (bin/musicgen.js, with its malloc
// tunables), one job each at a time; the warm-up gives each worker one job first, so the timed
// runs measure generation, not model loading. --write replaces the <!-- bench:SECTION --> block of
// BENCHMARKS.md. On a shared machine other processes take the second core: the ratio then
// measures their load, not the queue (the load average is printed with every figure).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readSampleSidecar } from '../../src/analysis/sampleFiles.js';
import type { SweepRunResult } from '../../src/analysis/sweepRunner.js';
import type { SweepSpec } from '../../src/analysis/sweepSpec.js';
import { ensureDefaultModel } from '../../src/cli/defaultModel.js';
import { runSweepOnQueue } from '../../src/queue/queuedSweep.js';

function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'musicgen.js');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('run npm run build first: the workers are the built musicgen command');
const modelDir = flag('model') ?? ensureDefaultModel();
const dtype = flag('dtype', 'fp32')!;
const samples = Number(flag('samples', '32'));
const duration = Number(flag('duration', '2'));
const maxBatch = Number(flag('max-batch', '4'));
const sectionName = flag('section', 'queue-throughput')!;
const write = process.argv.includes('--write');
const load = (): string => loadavg()[0].toFixed(1);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS (bytes) of a process and all its descendants, read from /proc. */
function treeRss(pid: number): number {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  let bytes = 0;
  for (const p of tree) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) bytes += Number(m[1]) * 1024;
    } catch {
      // Ended while we looked.
    }
  }
  return bytes;
}

interface Worker {
  proc: ChildProcess;
  output: () => string;
}

function startWorker(url: string): Promise<Worker> {
  const proc = spawn(process.execPath, [bin, 'worker', '--threads', '1', '--allow-models', dirname(modelDir)], {
    env: { ...process.env, MUSICGEN_QUEUE: url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (/worker ready/.test(out)) {
        clearInterval(poll);
        resolve({ proc, output: () => out });
      } else if (proc.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`worker exited:\n${out}`));
      }
    }, 50);
  });
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.proc.exitCode !== null) return;
  const exited = new Promise((r) => w.proc.once('exit', r));
  w.proc.kill('SIGTERM');
  await exited;
}

const spec = (n: number, seconds: number, seed0: number): SweepSpec => ({
  name: 'bench-queue',
  models: [{ name: 'bench', path: modelDir, dtype }],
  prompts: ['80s pop track with bassy drums and synth'],
  cfgCoef: [3],
  seeds: Array.from({ length: n }, (_, i) => seed0 + i),
  duration: seconds,
  strategy: 'peak',
});

const port = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), 'bench-queue-redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', redisDir], { stdio: ['ignore', 'pipe', 'ignore'] });
await new Promise<void>((resolve, reject) => {
  let out = '';
  redis.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (/Ready to accept connections/.test(out)) resolve();
  });
  redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}); is it installed (apt-get install redis-server)?`)));
});
redis.removeAllListeners('exit');

interface Run {
  workers: number;
  wallMs: number;
  generationMs: number;
  jobs: number;
  result: SweepRunResult;
  load: string;
  jobsPerWorker: number[];
  idleRss: number[];
  loadedRss: number[];
}

const work = mkdtempSync(join(tmpdir(), 'bench-queue-throughput-'));
const runs: Run[] = [];
try {
  for (const count of [1, 2]) {
    // Each run has its own Redis database: the same spec gives the same job ids.
    const url = `redis://127.0.0.1:${port}/${count}`;
    const workers: Worker[] = [];
    for (let i = 0; i < count; i++) workers.push(await startWorker(url));
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = workers.map((w) => treeRss(w.proc.pid!));
    // Warm-up: one short job per worker (one sample per batch), so every worker has loaded the model.
    process.stderr.write(`[queue bench] ${count} worker(s): warm-up\n`);
    await runSweepOnQueue(spec(2 * count, Math.min(duration, 0.2), 10_000), { queue: url, outDir: join(work, `warm-${count}`), maxBatch: 1, pollMs: 50 });
    const jobsBefore = workers.map((w) => (w.output().match(/ done in /g) ?? []).length);
    if (jobsBefore.some((n) => n === 0)) process.stderr.write(`[queue bench] warning: a worker took no warm-up job; its model load is in the timed run\n`);
    process.stderr.write(`[queue bench] ${count} worker(s): ${samples} samples of ${duration} s (load ${load()})\n`);
    const startLoad = load();
    const t0 = performance.now();
    const result = await runSweepOnQueue(spec(samples, duration, 0), { queue: url, outDir: join(work, `run-${count}`), maxBatch, pollMs: 50 });
    const wallMs = performance.now() - t0;
    const loadedRss = workers.map((w) => treeRss(w.proc.pid!));
    const jobsPerWorker = workers.map((w, i) => (w.output().match(/ done in /g) ?? []).length - jobsBefore[i]);
    runs.push({
      workers: count,
      wallMs,
      generationMs: result.batches.reduce((a, b) => a + b.wallMs, 0),
      jobs: result.batches.length,
      result,
      load: `${startLoad}-${load()}`,
      jobsPerWorker,
      idleRss,
      loadedRss,
    });
    await Promise.all(workers.map(stopWorker));
  }
} finally {
  redis.kill('SIGTERM');
  await new Promise((r) => redis.once('exit', r));
  rmSync(redisDir, { recursive: true, force: true });
}

// The two runs must agree sample by sample, or the throughput compares different work.
const [one, two] = runs;
for (const row of one.result.rows) {
  const a = readSampleSidecar(join(work, 'run-1'), row.sampleId)!.codes;
  const b = readSampleSidecar(join(work, 'run-2'), row.sampleId)!.codes;
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${row.sampleId}: the 1-worker and 2-worker runs gave different codes`);
}
rmSync(work, { recursive: true, force: true });

const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
const ratio = one.wallMs / two.wallMs;
// The 1-worker run: every ms the collector waited beyond the worker's generation is queue,
// transfer and writing overhead (polling every 50 ms; the collector writes while the worker goes on).
const overheadPerJob = (one.wallMs - one.generationMs) / one.jobs;
const jobMs = one.generationMs / one.jobs;
const lines = [
  `<!-- bench:${sectionName} -->`,
  '## Sweeps on BullMQ workers: throughput of 1 vs 2 workers (issue 23)',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}. ` +
    `Model ${modelDir.replace(process.env.HOME ?? '~', '~')} (${dtype}); ${samples} samples of ${duration} s (one prompt, CFG 3, ${samples} seeds), ` +
    `--max-batch ${maxBatch}: ${one.jobs} jobs. Each worker is \`musicgen worker --threads 1\` (built command, malloc tunables) on a throwaway ` +
    `redis-server (appendonly) on 127.0.0.1; one warm-up job per worker first (model loaded, not timed). Both runs gave the same codes.`,
  '',
  '| workers | wall (s) | samples / s | jobs per worker | load average (start-end) |',
  '|---:|---:|---:|---|---|',
  ...runs.map((r) => `| ${r.workers} | ${(r.wallMs / 1000).toFixed(1)} | ${(samples / (r.wallMs / 1000)).toFixed(2)} | ${r.jobsPerWorker.join(', ')} | ${r.load} |`),
  '',
  `2 workers vs 1: **${ratio.toFixed(2)}x** (goal >= 1.8x). Queue, transfer and collector overhead per job (1-worker wall minus the ` +
    `worker's generation time, over ${one.jobs} jobs): ${overheadPerJob.toFixed(0)} ms, ${((100 * overheadPerJob) / jobMs).toFixed(1)} % of a ${(jobMs / 1000).toFixed(1)} s job.`,
  `Idle worker memory (VmRSS of the worker's process tree): ${one.idleRss.map(mb).join(', ')} MB before its first job; ` +
    `${[...one.loadedRss, ...two.loadedRss].map(mb).join(', ')} MB after the run with the model loaded in its job process.`,
  '',
  `Command: \`npx tsx scripts/bench/queue-throughput.ts ${process.argv.slice(2).filter((a) => a !== '--write').join(' ')}\``.replace(/ `$/, '`'),
  `<!-- /bench:${sectionName} -->`,
];
const section = lines.join('\n');
process.stdout.write(`${section}\n`);
if (write) {
  const path = join(root, 'BENCHMARKS.md');
  // Re-read right before writing: other benchmarks edit the same file.
  const current = readFileSync(path, 'utf8');
  const open = `<!-- bench:${sectionName} -->`;
  const close = `<!-- /bench:${sectionName} -->`;
  const start = current.indexOf(open);
  const end = current.indexOf(close);
  writeFileSync(path, start >= 0 && end > start ? `${current.slice(0, start)}${section}${current.slice(end + close.length)}` : `${current.trimEnd()}\n\n${section}\n`);
  process.stdout.write(`wrote the ${sectionName} section of ${path}\n`);
}
