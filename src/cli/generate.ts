import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../atomicWrite.js';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeAudio } from '../audio/write.js';
import { readAudio } from '../audio/read.js';
import { convertAudio } from '../audio/convertAudio.js';
import { audioChroma, type Chroma } from '../audio/chroma.js';
import { chromaMatchRate } from '../audio/chromaMatchRate.js';
import type { NormalizeStrategy } from '../audio/normalize.js';
import { MusicgenError } from '../errors.js';
import { InvalidGenerationParamError, resolveGenerationParams, type GenerationParams } from '../inference/generationParams.js';
import { MusicGen, type GenerationRequest, type GenerationResult } from '../inference/musicgen.js';
import { outputFolderProblem } from '../outputFolder.js';
import { ensureDefaultModel } from './defaultModel.js';
import { embeddedDecoderHint, mergedDecoderHint } from './mergedDecoderHint.js';
import { ProgressBar } from './progressBar.js';

export class OutputPathError extends MusicgenError {}

export interface GenerateCliOptions {
  model?: string;
  dtype?: string;
  decoderLayout?: string;
  threads?: string;
  duration?: string;
  frames?: string;
  greedy?: boolean;
  topK?: string;
  topP?: string;
  temperature?: string;
  cfg?: string;
  twoStepCfg?: boolean;
  seed?: string;
  out: string;
  strategy: string;
  quiet?: boolean;
  /** Melody file (musicgen-melody models). */
  melody?: string;
  /** Pre-separated stems summed into the melody (instead of the full mix). */
  stems?: string[];
  /** Audio prompt to continue (output includes it). */
  continue?: string;
}

/** What conditioned a generation besides text, recorded in the sidecar. */
interface AudioConditioning {
  melody: { files: string[]; channels: Float32Array[]; sampleRate: number } | null;
  prompt: { file: string; seconds: number } | null;
}

/** A number from a flag, with the flag's name in the error. */
function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new MusicgenError(`${name} must be a number (got "${value}")`);
  return n;
}

export function paramsFromFlags(o: GenerateCliOptions): Partial<GenerationParams> {
  const p: Partial<GenerationParams> = {
    topK: numberFlag('--top-k', o.topK),
    topP: numberFlag('--top-p', o.topP),
    temperature: numberFlag('--temperature', o.temperature),
    cfgCoef: numberFlag('--cfg', o.cfg),
    duration: numberFlag('--duration', o.duration),
    frames: numberFlag('--frames', o.frames),
    seed: numberFlag('--seed', o.seed),
  };
  if (o.greedy) p.useSampling = false;
  if (o.twoStepCfg) p.twoStepCfg = true;
  return p;
}

/** The flag that sets each generation parameter, for error messages. */
const PARAM_FLAGS: Partial<Record<keyof GenerationParams, string>> = {
  topK: '--top-k',
  topP: '--top-p',
  temperature: '--temperature',
  cfgCoef: '--cfg',
  duration: '--duration',
  frames: '--frames',
  seed: '--seed',
};

/**
 * The flags' generation parameters, checked by the model's own validator before any model is
 * opened (the call resolves them once more with the model's frame rate).
 */
export function checkedParamsFromFlags(o: GenerateCliOptions): Partial<GenerationParams> {
  const params = paramsFromFlags(o);
  try {
    resolveGenerationParams(params);
  } catch (e) {
    if (!(e instanceof InvalidGenerationParamError)) throw e;
    const flag = PARAM_FLAGS[e.param as keyof GenerationParams];
    throw new InvalidGenerationParamError(e.param, flag ? `${flag}: ${e.message}` : e.message);
  }
  return params;
}

/**
 * Checks the output folder can be made and written, before any model work starts; it is created
 * only when the results are written, so a run that fails earlier leaves nothing behind.
 */
export function checkOutputDir(out: string): string {
  const problem = outputFolderProblem(out);
  if (problem) throw new OutputPathError(`cannot write to output folder ${resolve(out)}: ${problem}; choose another --out`);
  return resolve(out);
}

export function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return s || 'sample';
}

/** The melody's chroma the sidecar's match rate compares against: what the model is conditioned on. */
export function melodyChroma(melody: { channels: readonly Float32Array[]; sampleRate: number }): Chroma {
  return audioChroma(melody.channels, melody.sampleRate);
}

/** Writes one wav + JSON sidecar per item; returns the wav paths. */
export async function writeResults(
  dir: string,
  prompts: string[],
  result: GenerationResult,
  meta: { model: string; dtype: string; decoderLayout?: string; strategy: string },
  audioCond: AudioConditioning = { melody: null, prompt: null },
): Promise<string[]> {
  const reference = audioCond.melody ? melodyChroma(audioCond.melody) : null;
  const paths: string[] = [];
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < result.audio.length; i++) {
    const stem = `${String(i).padStart(2, '0')}-${slug(prompts[i] ?? 'unconditional')}`;
    const wav = join(dir, `${stem}.wav`);
    await writeAudio(wav, result.audio[i], result.sampleRate, {
      strategy: meta.strategy as NormalizeStrategy,
      loudnessCompressor: meta.strategy === 'loudness',
    });
    const sidecar = {
      prompt: prompts[i] ?? null,
      model: meta.model,
      dtype: meta.dtype,
      decoderLayout: meta.decoderLayout ?? null,
      sampleRate: result.sampleRate,
      frames: result.frames,
      durationSeconds: result.audio[i][0].length / result.sampleRate,
      params: result.params,
      item: i,
      normalization: meta.strategy,
      melody: audioCond.melody
        ? {
            files: audioCond.melody.files,
            // AudioCraft's chroma cosine metric: share of frames whose pitch class agrees.
            chromaMatchRate: chromaMatchRate(reference!, audioChroma(result.audio[i], result.sampleRate)),
          }
        : null,
      continuation: audioCond.prompt,
      timings: result.timings,
      codes: result.codes[i].map((row) => Array.from(row)),
      file: basename(wav),
    };
    const json = join(dir, `${stem}.json`);
    await writeFileAtomic(json, `${JSON.stringify(sidecar, null, 2)}\n`);
    paths.push(wav);
  }
  return paths;
}

/**
 * Reads the melody files; several (stems) are summed, as AudioCraft keeps the sum of the
 * non-drum, non-bass stems. All must share one sample rate.
 */
async function readMelody(files: string[]): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const decoded = await Promise.all(files.map((f) => readAudio(f)));
  const sampleRate = decoded[0].sampleRate;
  const mono = decoded.map((d, i) => {
    if (d.sampleRate !== sampleRate) {
      throw new MusicgenError(`stem ${files[i]} is ${d.sampleRate} Hz but ${files[0]} is ${sampleRate} Hz; resample the stems to one rate`);
    }
    return convertAudio(d.channels, d.sampleRate, d.sampleRate, 1)[0];
  });
  const length = Math.max(...mono.map((m) => m.length));
  const sum = new Float32Array(length);
  for (const m of mono) for (let i = 0; i < m.length; i++) sum[i] += m[i];
  return { channels: [sum], sampleRate };
}

/** Loads the model, generates with a progress bar, writes the files. Ctrl-C aborts cleanly. */
export async function runGenerate(prompts: string[], o: GenerateCliOptions): Promise<string[]> {
  if (prompts.length === 0) throw new MusicgenError('give at least one prompt, e.g. musicgen generate "lofi hip hop with piano"');
  // Every input is checked before the model opens and before anything is written.
  const params = checkedParamsFromFlags(o);
  const threads = numberFlag('--threads', o.threads);
  const dir = checkOutputDir(o.out);
  const audioCond: AudioConditioning = { melody: null, prompt: null };
  const melodyFiles = o.stems && o.stems.length > 0 ? o.stems : o.melody ? [o.melody] : [];
  if (melodyFiles.length > 0) audioCond.melody = { files: melodyFiles, ...(await readMelody(melodyFiles)) };
  const promptAudio = o.continue ? await readAudio(o.continue) : null;
  if (o.continue && promptAudio) audioCond.prompt = { file: o.continue, seconds: promptAudio.channels[0].length / promptAudio.sampleRate };
  const log = (m: string): void => {
    if (!o.quiet) process.stderr.write(m);
  };
  const modelDir = o.model ?? ensureDefaultModel(log);
  // One generate call per run: the text encoder is opened for it and released before the decoder
  // opens, which keeps it out of the peak (musicgen-small q8: BENCHMARKS.md, "Memory").
  const mg = await MusicGen.load(modelDir, { dtype: o.dtype, threads, decoderLayout: o.decoderLayout, releaseTextEncoder: true });
  // Not progress: shown even with --quiet, since the fix is a one-time command.
  const hint = mergedDecoderHint(mg.files, o.decoderLayout) ?? embeddedDecoderHint(mg.files);
  if (hint) process.stderr.write(`${hint}\n`);
  const bar = o.quiet ? null : new ProgressBar('generate');
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const each = <T>(x: T): T[] => prompts.map(() => x);
    const request: GenerationRequest = {
      text: prompts,
      params,
      melody: audioCond.melody ? { audio: each(audioCond.melody.channels), sampleRate: audioCond.melody.sampleRate } : undefined,
      prompt: promptAudio ? { audio: each(promptAudio.channels), sampleRate: promptAudio.sampleRate } : undefined,
      signal: controller.signal,
      progress: (done, total) => bar?.update(done, total, 'steps'),
    };
    const result = await mg.generateRequest(request);
    bar?.finish();
    return await writeResults(dir, prompts, result, { model: modelDir, dtype: o.dtype ?? 'fp32', decoderLayout: mg.files.decoderLayout, strategy: o.strategy }, audioCond);
  } finally {
    process.off('SIGINT', onSigint);
    await mg.dispose();
  }
}

export function addGenerationFlags(cmd: Command): Command {
  return cmd
    .option('--model <dir>', 'ONNX model folder (default: the embedded tiny random model)')
    .option('--dtype <dtype>', 'decoder precision: fp32, q8, … (file suffix)', 'fp32')
    .option('--decoder-layout <layout>', 'decoder graph when the folder has both: auto (kvbuffer if present) | kvbuffer | merged', 'auto')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)')
    .option('--duration <seconds>', 'length of each sample (AudioCraft default 15)')
    .option('--frames <n>', 'length in frames (50 per second); overrides --duration')
    .option('--greedy', 'argmax decoding instead of sampling')
    .option('--top-k <k>', 'top-k sampling (default 250; 0 disables)')
    .option('--top-p <p>', 'top-p sampling (default 0 = off; overrides top-k when > 0)')
    .option('--temperature <t>', 'softmax temperature (default 1)')
    .option('--cfg <coef>', 'classifier-free guidance coefficient (default 3)')
    .option('--two-step-cfg', 'run the conditional and null batches as two forwards')
    .option('--seed <n>', 'random seed (same seed, model and inputs -> same tokens)')
    .option('--out <dir>', 'output folder', 'out')
    .option('--strategy <name>', 'normalisation: loudness (-14 LUFS + compressor), peak, rms, clip, none', 'loudness')
    .option('--melody <file>', 'melody to follow (musicgen-melody models); chroma of the full mix')
    .option('--stems <files...>', 'pre-separated stems (e.g. vocals + other) summed into the melody instead of the mix')
    .option('--continue <file>', 'audio prompt to continue; the output starts with it and --duration counts it')
    .option('--quiet', 'no progress output');
}

/** `musicgen generate "<prompt>" [...]`. */
export function register(program: Command): void {
  addGenerationFlags(
    program.command('generate').description('generate music from text descriptions (one wav + JSON sidecar per prompt)').argument('<prompts...>', 'text descriptions'),
  ).action(async (prompts: string[], o: GenerateCliOptions) => {
    const paths = await runGenerate(prompts, o);
    for (const p of paths) process.stdout.write(`${p}\n`);
  });
}
