/**
 * Audio toolkit speed, as multiples of real time on one core (all of it runs on the main thread).
 *
 *   npx tsx scripts/bench-audio.ts            # print the table
 *   npx tsx scripts/bench-audio.ts --write    # also replace the "Audio toolkit" section of BENCHMARKS.md
 *
 * Inputs are 30 s of a deterministic synthetic signal (harmonic notes + noise). Each task is
 * timed over several runs after one warm-up; the real-time factor uses the fastest run (the
 * machine is shared, so slower runs measure other people's load), the median is shown beside it. Meyda's chroma is measured on the same
 * 32 kHz input with the same frame size (16384) and hop (4096), so both produce the same number
 * of 12-bin frames.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import meydaModule from 'meyda';
import { extractChroma } from '../src/audio/chroma.js';
import { loudness } from '../src/audio/loudness.js';
import { JULIUS_RESAMPLE, resample } from '../src/audio/resample.js';

// meyda ships CommonJS (module.exports = Meyda) with ESM-style typings (export default): TypeScript
// types the default import as the namespace, Node hands over the object itself.
type MeydaApi = typeof meydaModule.default;
const Meyda: MeydaApi = (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);

const SECONDS = 30;
const RUNS = 7;

function synthetic(sampleRate: number, seed: number): Float32Array {
  const n = SECONDS * sampleRate;
  const x = new Float32Array(n);
  let state = seed >>> 0;
  const noise = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const notes = [261.63, 329.63, 392.0, 523.25, 440.0, 349.23];
  for (let i = 0; i < n; i++) {
    const f = notes[Math.floor(i / (0.5 * sampleRate)) % notes.length];
    const t = i / sampleRate;
    x[i] = 0.3 * Math.sin(2 * Math.PI * f * t) + 0.1 * Math.sin(4 * Math.PI * f * t) + 0.05 * Math.sin(6 * Math.PI * f * t) + 0.02 * noise();
  }
  return x;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Fastest and median wall time in ms of `fn` over RUNS runs after one warm-up. */
function time(fn: () => unknown): { best: number; median: number } {
  fn();
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return { best: Math.min(...ms), median: median(ms) };
}

function meydaChroma(x: Float32Array): number[][] {
  Meyda.bufferSize = 16384;
  Meyda.sampleRate = 32000;
  Meyda.chromaBands = 12;
  Meyda.windowingFunction = 'hanning';
  // Same framing as ours: centred frames every 4096 samples (zero padding instead of reflection).
  const padded = new Float32Array(x.length + 16384);
  padded.set(x, 8192);
  const frames: number[][] = [];
  for (let start = 0; start + 16384 <= padded.length; start += 4096) {
    frames.push(Meyda.extract('chroma', padded.subarray(start, start + 16384)) as number[]);
  }
  return frames;
}

const mono32k = synthetic(32000, 1);
const stereo32k = [mono32k, synthetic(32000, 2)];
const stereo48k = [synthetic(48000, 3), synthetic(48000, 4)];
const mono44k = synthetic(44100, 5);

interface Row {
  task: string;
  best: number;
  median: number;
}
const rows: Row[] = [];
const run = (task: string, fn: () => unknown): void => {
  const { best, median: med } = time(fn);
  rows.push({ task, best, median: med });
  process.stdout.write(`${task}: best ${best.toFixed(1)} ms, median ${med.toFixed(1)} ms\n`);
};

run('chroma, 30 s mono 32 kHz (extractChroma, one-hot)', () => extractChroma(mono32k, 32000));
run('chroma, 30 s mono 32 kHz (Meyda 5.6.3 `chroma`, same frames)', () => meydaChroma(mono32k));
run('loudness, 30 s stereo 32 kHz', () => loudness(stereo32k, 32000));
run('loudness, 30 s stereo 48 kHz', () => loudness(stereo48k, 48000));
run('resample 44.1 -> 32 kHz, 30 s mono (default: 32 zeros, rolloff 0.97)', () => resample(mono44k, 44100, 32000));
run('resample 44.1 -> 32 kHz, 30 s mono (julius: 24 zeros, rolloff 0.945)', () => resample(mono44k, 44100, 32000, JULIUS_RESAMPLE));
run('resample 32 -> 48 kHz, 30 s mono (default)', () => resample(mono32k, 32000, 48000));

const ourFrames = extractChroma(mono32k, 32000).length;
const meydaFrames = meydaChroma(mono32k).length;

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const section = [
  '## Audio toolkit',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${cpus().length} cores shared with other work; every task runs on one`,
  `core), Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end of the run. ${RUNS} timed runs after a`,
  `warm-up; 30 s inputs. Real-time factor = 30 s / fastest run.`,
  `Chroma frames: ours ${ourFrames}, Meyda ${meydaFrames} (16384-sample frames, hop 4096).`,
  '',
  '| task | fastest (ms) | median (ms) | x real time |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.task} | ${r.best.toFixed(1)} | ${r.median.toFixed(1)} | ${Math.round((SECONDS * 1000) / r.best)} |`),
  '',
  'Command: `npx tsx scripts/bench-audio.ts --write`',
  '',
].join('\n');
process.stdout.write(`\n${section}`);

if (process.argv.includes('--write')) {
  const path = new URL('../BENCHMARKS.md', import.meta.url);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n';
  // Up to the next section or the next marker of another benchmark's section (never eat it).
  const re = /## Audio toolkit\n[\s\S]*?(?=\n## |\n<!-- |$)/;
  const next = re.test(current) ? current.replace(re, section.trimEnd() + '\n') : `${current.trimEnd()}\n\n${section}`;
  writeFileSync(path, next);
  process.stdout.write('updated BENCHMARKS.md\n');
}
