import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { convertAudio } from '../audio/convertAudio.js';
import { readAudio } from '../audio/read.js';
import { writeAudio } from '../audio/write.js';
import { AbortError } from '../inference/errors.js';
import { interruptible } from '../kernelInterrupt.js';
import { parseModelConfig, type MusicgenModelConfig } from '../inference/modelConfig.js';
import { MusicGen, type BatchItem, type BatchResult, type GenerateOptions } from '../inference/musicgen.js';
import { batchCapacity, splitIntoBatches, type BatchPlanOptions } from './batchPlanner.js';
import { toCsv } from './csv.js';
import { SweepOutputError, SweepSpecError } from './errors.js';
import type { SampleEmbeddingMetric } from './metrics/embeddingMetrics.js';
import { PeakMemorySampler } from './metrics/peakMemory.js';
import { sampleMetrics } from './metrics/sampleMetrics.js';
import { decoderParameterCount } from './modelSize.js';
import { mosManifestOf } from './mosManifest.js';
import { readSampleSidecar, sampleWavPath, SAMPLES_DIR, writeSampleSidecar } from './sampleFiles.js';
import { expandSweep, parseSweepSpec, type ResolvedSweepSpec, type SweepModel, type SweepSetting, type SweepSpec } from './sweepSpec.js';
import { flattenRow, type SweepResultRow } from './sweepResults.js';

/** What the runner needs of a loaded model (MusicGen has it; tests may wrap one to count calls). */
export interface SweepGenerator {
  readonly config: MusicgenModelConfig;
  generateBatch(items: readonly BatchItem[], opts?: GenerateOptions & { melodySampleRate?: number }): Promise<BatchResult>;
  dispose(): Promise<void>;
}

export interface SweepProgress {
  model: string;
  /** Samples finished so far (generated in this run plus those found in the folder). */
  doneSamples: number;
  totalSamples: number;
  /** Samples found finished in the output folder and not regenerated. */
  skippedSamples: number;
  /** Decoder steps done and planned for this run (each step advances a whole batch). */
  doneSteps: number;
  totalSteps: number;
  batchIndex: number;
  batchCount: number;
}

export interface SweepRunOptions extends BatchPlanOptions {
  /** Output folder: samples/, results.csv, results.json, manifest.json, sweep.json. */
  outDir: string;
  /** Base folder of relative paths when `spec` is an object (default: the working directory). */
  baseDir?: string;
  /** onnxruntime intra-op threads per model. */
  threads?: number;
  /** Stops between decoder steps; finished samples stay on disk and are skipped on the next run. */
  signal?: AbortSignal;
  progress?: (p: SweepProgress) => void;
  log?: (message: string) => void;
  /** Per-sample embedding metrics (CLAP score, ...) from user-supplied models. */
  embeddingMetrics?: readonly SampleEmbeddingMetric[];
  /** Loads a sweep model (default: MusicGen.load(path, {dtype, threads})). */
  loadModel?: (model: SweepModel) => Promise<SweepGenerator>;
}

/** One generateBatch call of a run. */
export interface SweepBatchRecord {
  model: string;
  sampleIds: string[];
  decoderCalls: number;
  wallMs: number;
}

export interface SweepRunResult {
  spec: ResolvedSweepSpec;
  outDir: string;
  /** Every sample of the grid, in grid order (generated now or found in the folder). */
  rows: SweepResultRow[];
  generated: string[];
  skipped: string[];
  batches: SweepBatchRecord[];
  files: { resultsCsv: string; resultsJson: string; manifest: string; spec: string };
}

function readModelConfig(model: SweepModel, index: number): MusicgenModelConfig {
  const path = join(model.path, 'config.json');
  if (!existsSync(path)) {
    throw new SweepSpecError(`spec.models[${index}] (${model.name}): ${model.path} has no config.json; point it at a MusicGen ONNX model folder`);
  }
  return parseModelConfig(JSON.parse(readFileSync(path, 'utf8')), path);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

type Melody = { channels: Float32Array[]; sampleRate: number };

/**
 * Runs a sweep: every cell of the grid becomes one wav + sidecar in `outDir/samples/`. Per model,
 * the pending settings are packed into as few generateBatch calls as the memory budget and
 * `maxBatch` allow (sampling settings, CFG coefficient and seed are per row, so they share each
 * decoder forward). Samples whose sidecar is already in the folder are skipped, so an interrupted
 * sweep resumes where it stopped. Writes results.csv, results.json, manifest.json (MOS sample set)
 * and sweep.json (the resolved spec) when done.
 */
export async function runSweep(spec: SweepSpec | ResolvedSweepSpec, opts: SweepRunOptions): Promise<SweepRunResult> {
  // Kernel > Interrupt in a notebook stops a sweep too, between samples as well as between steps.
  const interrupt = interruptible(opts.signal);
  try {
    return await runSweepWith(spec, { ...opts, signal: interrupt.signal });
  } finally {
    interrupt.close();
  }
}

async function runSweepWith(spec: SweepSpec | ResolvedSweepSpec, opts: SweepRunOptions): Promise<SweepRunResult> {
  const resolved = parseSweepSpec(spec, opts.baseDir);
  const outDir = resolve(opts.outDir);
  try {
    mkdirSync(join(outDir, SAMPLES_DIR), { recursive: true });
  } catch (err) {
    throw new SweepOutputError(`cannot create the sweep folder ${outDir}: ${(err as Error).message}; choose another output folder`, { cause: err });
  }
  const log = opts.log ?? (() => undefined);
  const configs = resolved.models.map((m, i) => readModelConfig(m, i));
  const settings = expandSweep(resolved);

  // Finished samples: sidecars already in the folder, checked against this spec's length.
  const rowsById = new Map<string, SweepResultRow>();
  for (const s of settings) {
    const sidecar = readSampleSidecar(outDir, s.sampleId);
    if (!sidecar) continue;
    const config = configs[resolved.models.indexOf(s.model)];
    const frames = Math.trunc(resolved.duration * config.audioEncoder.frameRate);
    if (sidecar.row.frames !== frames) {
      throw new SweepOutputError(
        `${outDir} already holds ${s.sampleId} with ${sidecar.row.frames} frames, but this spec asks for ${frames} (${resolved.duration} s); use another output folder or delete the old samples`,
      );
    }
    rowsById.set(s.sampleId, sidecar.row);
  }
  const skipped = [...rowsById.keys()];
  if (skipped.length > 0) log(`${skipped.length} of ${settings.length} samples already in ${outDir}; skipping them\n`);

  const melodies = new Map<string, Melody>();
  for (const [i, p] of resolved.prompts.entries()) {
    if (!p.melody) continue;
    try {
      const decoded = await readAudio(p.melody);
      melodies.set(p.id, { channels: decoded.channels, sampleRate: decoded.sampleRate });
    } catch (err) {
      throw new SweepSpecError(`spec.prompts[${i}].melody: cannot read ${p.melody}: ${(err as Error).message}`, { cause: err });
    }
  }

  // Plan every model's batches first so the progress bar knows the whole run.
  const plans = resolved.models.map((model, m) => {
    const config = configs[m];
    const pending = settings.filter((s) => s.model === model && !rowsById.has(s.sampleId));
    const needsCfg = pending.some((s) => s.cfgCoef !== 1);
    const capacity = batchCapacity(config, { duration: resolved.duration, cfg: needsCfg }, opts);
    const frames = Math.trunc(resolved.duration * config.audioEncoder.frameRate);
    const stepsPerBatch = frames + config.decoder.numCodebooks / config.decoder.audioChannels - 1;
    return { model, config, batches: splitIntoBatches(pending, capacity), stepsPerBatch };
  });
  const batchCount = plans.reduce((a, p) => a + p.batches.length, 0);
  const batchSteps = plans.flatMap((p) => p.batches.map(() => p.stepsPerBatch));
  let stepsBefore = 0;
  let batchIndex = 0;
  let doneSamples = skipped.length;
  const generated: string[] = [];
  const batches: SweepBatchRecord[] = [];
  const report = (model: string, stepsInBatch: number): void =>
    opts.progress?.({
      model,
      doneSamples,
      totalSamples: settings.length,
      skippedSamples: skipped.length,
      doneSteps: stepsBefore + stepsInBatch,
      totalSteps: batchSteps.reduce((a, b) => a + b, 0),
      batchIndex,
      batchCount,
    });

  const stopIfAborted = (): void => {
    if (!opts.signal?.aborted) return;
    throw new AbortError(
      `sweep interrupted: ${doneSamples} of ${settings.length} samples are finished and kept in ${outDir}; run the same sweep again to resume`,
    );
  };
  for (const plan of plans) {
    if (plan.batches.length === 0) continue;
    stopIfAborted();
    const { model, config } = plan;
    log(`${model.name}: ${plan.batches.flat().length} samples in ${plan.batches.length} batch(es) of up to ${plan.batches[0].length}\n`);
    const generator = opts.loadModel ? await opts.loadModel(model) : await MusicGen.load(model.path, { dtype: model.dtype, threads: opts.threads });
    try {
      for (const batch of plan.batches) {
        const memory = new PeakMemorySampler().start();
        const t0 = performance.now();
        let result: BatchResult;
        try {
          result = await generator.generateBatch(
            batch.map((s) => batchItemOf(s, config, melodies)),
            {
              params: { duration: resolved.duration, extendStride: resolved.extendStride, twoStepCfg: resolved.twoStepCfg },
              melodySampleRate: config.audioEncoder.samplingRate,
              signal: opts.signal,
              progress: (done, total) => {
                memory.sample();
                batchSteps[batchIndex] = total;
                report(model.name, done);
              },
            },
          );
        } catch (err) {
          memory.stop();
          if (err instanceof AbortError) stopIfAborted();
          throw err;
        }
        const peak = memory.stop();
        const wallMs = performance.now() - t0;
        batches.push({ model: model.name, sampleIds: batch.map((s) => s.sampleId), decoderCalls: result.timings.decoderCalls, wallMs });
        for (const [i, s] of batch.entries()) {
          const row = await finishSample(outDir, resolved, s, i, result, {
            batchIndex,
            batchSize: batch.length,
            wallMs,
            peakRssBytes: peak.peakRssBytes,
            maxRssBytes: peak.maxRssBytes,
            config,
            melody: s.prompt.melody ? melodies.get(s.prompt.id) ?? null : null,
            embeddingMetrics: opts.embeddingMetrics ?? [],
          });
          rowsById.set(s.sampleId, row);
          generated.push(s.sampleId);
          doneSamples++;
        }
        stepsBefore += batchSteps[batchIndex];
        batchIndex++;
        report(model.name, 0);
        stopIfAborted();
      }
    } finally {
      await generator.dispose();
    }
  }

  const rows = settings.map((s) => rowsById.get(s.sampleId)!);
  const files = {
    resultsCsv: join(outDir, 'results.csv'),
    resultsJson: join(outDir, 'results.json'),
    manifest: join(outDir, 'manifest.json'),
    spec: join(outDir, 'sweep.json'),
  };
  await writeFile(`${files.resultsCsv}.tmp`, toCsv(rows.map(flattenRow)));
  await rename(`${files.resultsCsv}.tmp`, files.resultsCsv);
  await writeJsonAtomic(files.resultsJson, rows);
  await writeJsonAtomic(files.manifest, mosManifestOf(resolved.name, rows));
  await writeJsonAtomic(files.spec, resolved);
  return { spec: resolved, outDir, rows, generated, skipped, batches, files };
}

/** Melodies resampled to a model's rate, mono, once per (prompt, rate). */
const resampledMelodies = new WeakMap<Melody, Map<number, Float32Array[]>>();

function melodyAt(melody: Melody, sampleRate: number): Float32Array[] {
  let byRate = resampledMelodies.get(melody);
  if (!byRate) resampledMelodies.set(melody, (byRate = new Map()));
  let channels = byRate.get(sampleRate);
  if (!channels) byRate.set(sampleRate, (channels = convertAudio(melody.channels, melody.sampleRate, sampleRate, 1)));
  return channels;
}

function batchItemOf(s: SweepSetting, config: MusicgenModelConfig, melodies: Map<string, Melody>): BatchItem {
  const melody = melodies.get(s.prompt.id);
  return {
    text: s.prompt.text,
    params: { useSampling: s.useSampling, topK: s.topK, topP: s.topP, temperature: s.temperature, cfgCoef: s.cfgCoef, seed: s.seed },
    // Melodies condition melody models only; every model is still scored against the melody.
    melody: config.melody && melody ? melodyAt(melody, config.audioEncoder.samplingRate) : null,
  };
}

interface BatchContext {
  batchIndex: number;
  batchSize: number;
  wallMs: number;
  peakRssBytes: number;
  maxRssBytes: number;
  config: MusicgenModelConfig;
  melody: Melody | null;
  embeddingMetrics: readonly SampleEmbeddingMetric[];
}

/** Writes one sample's wav, measures it, writes its sidecar (last: it marks the sample done). */
async function finishSample(
  outDir: string,
  spec: ResolvedSweepSpec,
  s: SweepSetting,
  item: number,
  result: BatchResult,
  ctx: BatchContext,
): Promise<SweepResultRow> {
  const audio = result.audio[item];
  const codes = result.codes[item];
  await writeAudio(sampleWavPath(outDir, s.sampleId), audio, result.sampleRate, {
    strategy: spec.strategy,
    loudnessCompressor: spec.strategy === 'loudness',
  });
  const metrics = sampleMetrics({ codes, vocabSize: ctx.config.decoder.vocabSize, audio, sampleRate: result.sampleRate, melody: ctx.melody });
  const durationSeconds = audio[0].length / result.sampleRate;
  const wallMs = ctx.wallMs / ctx.batchSize;
  const embedding: Record<string, number | null> = {};
  for (const metric of ctx.embeddingMetrics) {
    embedding[metric.name] = await metric.measure({ sampleId: s.sampleId, prompt: s.prompt.text, audio, sampleRate: result.sampleRate });
  }
  const row: SweepResultRow = {
    sampleId: s.sampleId,
    sweep: spec.name,
    model: s.model.name,
    modelPath: s.model.path,
    dtype: s.model.dtype,
    decoderParams: decoderParameterCount(ctx.config),
    promptId: s.prompt.id,
    prompt: s.prompt.text,
    melody: s.prompt.melody,
    useSampling: s.useSampling,
    topK: s.topK,
    topP: s.topP,
    temperature: s.temperature,
    cfgCoef: s.cfgCoef,
    seed: result.items[item].seed,
    durationSeconds,
    frames: result.frames,
    sampleRate: result.sampleRate,
    file: `${SAMPLES_DIR}/${s.sampleId}.wav`,
    batchIndex: ctx.batchIndex,
    batchSize: ctx.batchSize,
    batchWallMs: ctx.wallMs,
    wallMs,
    textEncoderMs: result.timings.textEncoderMs,
    decoderMs: result.timings.decoderMs,
    codecMs: result.timings.codecMs,
    decoderCalls: result.timings.decoderCalls,
    realTimeFactor: wallMs / 1000 / durationSeconds,
    stepsPerSecond: result.timings.decoderCalls / (result.timings.decoderMs / 1000),
    peakRssMb: ctx.peakRssBytes / 2 ** 20,
    maxRssMb: ctx.maxRssBytes / 2 ** 20,
    ...metrics,
    embedding,
  };
  await writeSampleSidecar(outDir, row, codes);
  return row;
}
