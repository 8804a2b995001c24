// Sweep benchmark: a 16-setting sweep (one decoder batch) against the same 16 settings generated
// one at a time, on the same loaded model in the same process. The goal (issue 5): the sweep
// costs under 3x one setting.
//
//   npx tsx scripts/bench/sweep.ts [--model DIR] [--dtype q8] [--duration 1] [--threads 2] [--rounds 2]
//     [--section NAME] [--write]
//
// --model defaults to the embedded tiny model; pass a musicgen-small-sized folder (e.g. the one
// scripts/bench/build-models.js builds) for realistic figures. --write replaces the
// <!-- bench:sweep --> section of BENCHMARKS.md (re-read right before writing: others edit it);
// --section NAME writes <!-- bench:NAME --> as a subsection instead (npm run bench writes
// sweep-fp32 and sweep-q8 on the musicgen-small-sized folders).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSweep, type SweepGenerator, type SweepRunResult } from '../../src/analysis/sweepRunner.js';
import type { SweepSpec } from '../../src/analysis/sweepSpec.js';
import { decoderParameterCount } from '../../src/analysis/modelSize.js';
import { ensureDefaultModel } from '../../src/cli/defaultModel.js';
import { MusicGen } from '../../src/inference/musicgen.js';

function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const modelDir = flag('model') ?? ensureDefaultModel();
const dtype = flag('dtype', 'fp32')!;
const duration = Number(flag('duration', '1'));
const threads = Number(flag('threads', String(Math.min(2, cpus().length))));
const write = process.argv.includes('--write');
const sectionName = flag('section', 'sweep')!;
const subsection = sectionName !== 'sweep';

// 16 settings: 2 top-k x 2 temperatures x 2 CFG coefficients x 2 seeds, one prompt.
const spec: SweepSpec = {
  name: 'bench-sweep',
  models: [{ name: 'bench', path: modelDir, dtype }],
  prompts: ['80s pop track with bassy drums and synth'],
  topK: [50, 250],
  temperature: [0.8, 1],
  cfgCoef: [1.5, 3],
  seeds: [0, 1],
  duration,
  strategy: 'peak',
};

const t0 = performance.now();
const mg = await MusicGen.load(modelDir, { dtype, threads });
const loadMs = performance.now() - t0;
let generateCalls = 0;
const generator: SweepGenerator = {
  config: mg.config,
  generateRequest: (request) => {
    generateCalls++;
    return mg.generateRequest(request);
  },
  dispose: async () => undefined,
};

async function timedRun(maxBatch: number): Promise<{ ms: number; result: SweepRunResult; calls: number }> {
  const out = mkdtempSync(join(tmpdir(), `bench-sweep-${maxBatch}-`));
  const before = generateCalls;
  const start = performance.now();
  const result = await runSweep(spec, { outDir: out, maxBatch, memoryBudgetBytes: 64 * 2 ** 30, loadModel: async () => generator });
  const ms = performance.now() - start;
  rmSync(out, { recursive: true, force: true });
  return { ms, result, calls: generateCalls - before };
}

// Warm-up: one sample (sessions allocate their arenas on the first runs).
await runSweep({ ...spec, topK: [50], temperature: [1], cfgCoef: [3], seeds: [9] }, {
  outDir: mkdtempSync(join(tmpdir(), 'bench-sweep-warm-')),
  loadModel: async () => generator,
});

// Alternate separate / batched twice and keep each one's faster run: the VMs are noisy.
const separateRuns: Array<Awaited<ReturnType<typeof timedRun>>> = [];
const sweepRuns: Array<Awaited<ReturnType<typeof timedRun>>> = [];
const rounds = Number(flag('rounds', '2'));
for (let r = 0; r < rounds; r++) {
  separateRuns.push(await timedRun(1));
  sweepRuns.push(await timedRun(16));
}
// Where the cost goes: one generateBatch call per batch size (same settings mix), per step.
const scaling: Array<{ items: number; ms: number; stepMs: number; codecMs: number }> = [];
if (!process.argv.includes('--no-scaling')) {
  const mix = Array.from({ length: 16 }, (_, i) => ({
    text: spec.prompts[0] as string,
    params: { topK: [50, 250][i % 2], temperature: [0.8, 1][(i >> 1) % 2], cfgCoef: [1.5, 3][(i >> 2) % 2], seed: i >> 3 },
  }));
  for (const n of [1, 2, 4, 8, 16]) {
    const start = performance.now();
    const r = await mg.generateBatch(mix.slice(0, n), { params: { duration } });
    scaling.push({ items: n, ms: performance.now() - start, stepMs: r.timings.decoderMs / r.timings.decoderCalls, codecMs: r.timings.codecMs });
  }
}
await mg.dispose();
const fastest = <T extends { ms: number }>(runs: T[]): T => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const separate = fastest(separateRuns);
const sweep = fastest(sweepRuns);
const decodeMs = (r: SweepRunResult): number => r.batches.reduce((a, b) => a + b.wallMs, 0);
const oneSetting = separate.ms / 16;
// Per-round ratios (sweep vs the separate runs just before it) show how much the load moved.
const roundRatios = sweepRuns.map((r, i) => r.ms / (separateRuns[i].ms / 16));
const ratio = sweep.ms / oneSetting;
const d = mg.config.decoder;

const lines = [
  `<!-- bench:${sectionName} -->`,
  subsection ? `### Sweep on the ${dtype} model: 16 settings in one batch vs one at a time` : '## Sweeps: 16 settings in one batch vs one at a time',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ` +
    `onnxruntime threads ${threads}, load average ${loadavg()[0].toFixed(1)} at the end. Model: ${modelDir.replace(process.env.HOME ?? '~', '~')} ` +
    `(${dtype}; decoder ${d.numLayers} layers x ${d.hiddenSize}, ${(decoderParameterCount(mg.config) / 1e6).toFixed(1)} M params), loaded in ${(loadMs / 1000).toFixed(1)} s (not counted). ` +
    `${duration} s per sample (${separate.result.rows[0].frames} frames), one prompt, top-k {50, 250} x temperature {0.8, 1} x CFG {1.5, 3} x seed {0, 1}. ` +
    `Both paths run through runSweep on the same loaded model (wav writing and metrics included); fastest of ${rounds} alternating rounds.`,
  '',
  '| run | generateBatch calls | decoder calls | wall (s) | of which generation (s) | x one setting |',
  '|---|---:|---:|---:|---:|---:|',
  `| 16 settings one at a time (maxBatch 1) | ${separate.calls} | ${separate.result.batches.reduce((a, b) => a + b.decoderCalls, 0)} | ${(separate.ms / 1000).toFixed(2)} | ${(decodeMs(separate.result) / 1000).toFixed(2)} | 16.00 |`,
  `| 16-setting sweep (one batch of 16, CFG doubles it to 32 rows) | ${sweep.calls} | ${sweep.result.batches.reduce((a, b) => a + b.decoderCalls, 0)} | ${(sweep.ms / 1000).toFixed(2)} | ${(decodeMs(sweep.result) / 1000).toFixed(2)} | **${ratio.toFixed(2)}** |`,
  '',
  `One setting alone: ${(oneSetting / 1000).toFixed(2)} s. The sweep costs ${ratio.toFixed(2)}x one setting ` +
    `(goal: under 3x) and is ${(separate.ms / sweep.ms).toFixed(1)}x faster than the separate runs. ` +
    `Per round: ${roundRatios.map((x) => `${x.toFixed(2)}x`).join(', ')}. ` +
    `Peak RSS during the sweep batch: ${sweep.result.rows[0].peakRssMb.toFixed(0)} MB; during a single setting: ${separate.result.rows[0].peakRssMb.toFixed(0)} MB.`,
  ...(scaling.length === 0
    ? []
    : [
        '',
        'Cost by batch size (one generateBatch call each, same settings mix, CFG doubles the rows):',
        '',
        '| items | decoder rows | wall (s) | per decoder step (ms) | codec (ms) | x one item |',
        '|---:|---:|---:|---:|---:|---:|',
        ...scaling.map(
          (x) =>
            `| ${x.items} | ${2 * x.items} | ${(x.ms / 1000).toFixed(2)} | ${x.stepMs.toFixed(0)} | ${x.codecMs.toFixed(0)} | ${(x.ms / scaling[0].ms).toFixed(2)} |`,
        ),
      ]),
  '',
  `Command: \`npx tsx scripts/bench/sweep.ts ${process.argv.slice(2).filter((a) => a !== '--write').join(' ')}\``.replace(/ `$/, '`'),
  `<!-- /bench:${sectionName} -->`,
];
const section = lines.join('\n');
process.stdout.write(`${section}\n`);

if (write) {
  const path = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md');
  // Re-read right before writing: other benchmarks edit the same file.
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const open = `<!-- bench:${sectionName} -->`;
  const close = `<!-- /bench:${sectionName} -->`;
  const start = current.indexOf(open);
  const end = current.indexOf(close);
  const next =
    start >= 0 && end > start ? `${current.slice(0, start)}${section}${current.slice(end + close.length)}` : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  process.stdout.write(`wrote the ${sectionName} section of ${path}\n`);
}
