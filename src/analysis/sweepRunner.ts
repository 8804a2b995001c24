import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomicWrite.js';
import { join, resolve } from 'node:path';
import { CHROMA_SAMPLE_RATE, toChromaRate } from '../audio/chroma.js';
import { readAudio } from '../audio/read.js';
import { writeAudio } from '../audio/write.js';
import { usesCfg } from '../inference/cfg.js';
import { AbortError } from '../inference/errors.js';
import { interruptible } from '../kernelInterrupt.js';
import { parseModelConfig, type MusicgenModelConfig } from '../model/modelConfig.js';
import { outputFolderProblem } from '../outputFolder.js';
import { batchRequest, MusicGen, type BatchItem, type BatchResult, type GenerationRequest, type RequestResult } from '../inference/musicgen.js';
import { framesForDuration } from '../model/contextLength.js';
import { decoderStepsForFrames, numDistinctDelays } from '../model/stepCount.js';
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
  generateRequest(request: GenerationRequest): Promise<RequestResult>;
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
  /**
   * Makes a spec's model usable by this run and reads its config (default: the folder's
   * config.json; a hub model is refused). A queued sweep pins hub models to a commit here.
   */
  prepareModel?: (model: SweepModel, index: number) => Promise<{ model: SweepModel; config: MusicgenModelConfig }>;
  /** Loads a sweep model (default: MusicGen.load(path, {dtype, threads})). */
  loadModel?: (model: SweepModel) => Promise<SweepGenerator>;
  /**
   * Runs the planned batches somewhere else (a job queue: src/queue). Default: in this process,
   * one model at a time. This process stays the only writer of `outDir`.
   */
  executor?: SweepBatchExecutor;
}

/** One generateBatch call of the plan; `index` is its place in the plan (the rows' batchIndex). */
export interface PlannedSweepBatch {
  index: number;
  model: SweepModel;
  config: MusicgenModelConfig;
  /** The batch's settings in row order (with an executor, some may already be finished). */
  settings: SweepSetting[];
  /** The batch's items (melodies as the model reads them: 32 kHz mono, at `melodySampleRate`). */
  items: BatchItem[];
  /** Sample rate of the items' melodies. */
  melodySampleRate: number;
  /** Decoder steps the batch is expected to take. */
  steps: number;
}

/** What running a batch gave: its result, wall time and the peak memory of the process that ran it. */
export interface ExecutedSweepBatch {
  result: BatchResult;
  wallMs: number;
  peakRssBytes: number;
  maxRssBytes: number;
}

export interface SweepExecutionContext {
  spec: ResolvedSweepSpec;
  signal?: AbortSignal;
  log: (message: string) => void;
  /** Decoder steps of a running batch (for the progress bar). */
  onStep(batch: PlannedSweepBatch, done: number, total: number): void;
  /** Writes a finished batch's samples; call once per batch, awaiting it, in any order. */
  onDone(batch: PlannedSweepBatch, executed: ExecutedSweepBatch): Promise<void>;
}

/** Runs planned batches; resolves once onDone has run for every batch. */
export interface SweepBatchExecutor {
  run(batches: readonly PlannedSweepBatch[], ctx: SweepExecutionContext): Promise<void>;
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

export function readModelConfig(model: SweepModel, index: number): MusicgenModelConfig {
  if (model.repo !== undefined && model.path === '') {
    throw new SweepSpecError(
      `spec.models[${index}] (${model.name}) is the hub model ${model.repo}: run the sweep with --queue (each worker fetches it), or fetch it here (musicgen fetch ${model.repo} --dtype ${model.dtype}) and give its folder as path`,
    );
  }
  const path = join(model.path, 'config.json');
  if (!existsSync(path)) {
    throw new SweepSpecError(`spec.models[${index}] (${model.name}): ${model.path} has no config.json; point it at a MusicGen ONNX model folder`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SweepSpecError(`spec.models[${index}] (${model.name}): ${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseModelConfig(raw, path);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
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
  const parsed = parseSweepSpec(spec, opts.baseDir);
  const prepared = await Promise.all(
    parsed.models.map(async (m, i) => (opts.prepareModel ? opts.prepareModel(m, i) : { model: m, config: readModelConfig(m, i) })),
  );
  const resolved: ResolvedSweepSpec = { ...parsed, models: prepared.map((p) => p.model) };
  const configs = prepared.map((p) => p.config);
  const outDir = resolve(opts.outDir);
  // Checked now, made when the first sample is written: a sweep that fails on its inputs (a
  // broken model folder, an unreadable melody) leaves nothing behind.
  const problem = outputFolderProblem(join(outDir, SAMPLES_DIR));
  if (problem) throw new SweepOutputError(`cannot create the sweep folder ${outDir}: ${problem}; choose another output folder`);
  const makeOutDir = (): void => {
    try {
      mkdirSync(join(outDir, SAMPLES_DIR), { recursive: true });
    } catch (err) {
      throw new SweepOutputError(`cannot create the sweep folder ${outDir}: ${(err as Error).message}; choose another output folder`, { cause: err });
    }
  };
  const log = opts.log ?? (() => undefined);
  const settings = expandSweep(resolved);

  // Finished samples: sidecars already in the folder, checked against this spec's length.
  const rowsById = new Map<string, SweepResultRow>();
  for (const s of settings) {
    const sidecar = readSampleSidecar(outDir, s.sampleId);
    if (!sidecar) continue;
    const config = configs[resolved.models.indexOf(s.model)];
    const frames = framesForDuration(resolved.duration, config.audioEncoder.frameRate);
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

  // Plan every model's batches first so the progress bar knows the whole run. An executor (a
  // queue) plans the whole grid and keeps batches with any sample missing: the batches, and so
  // its job ids, stay the same when a run resumes.
  const planned: PlannedSweepBatch[] = [];
  for (const [m, model] of resolved.models.entries()) {
    const config = configs[m];
    const ofModel = settings.filter((s) => s.model === model);
    const pending = ofModel.filter((s) => !rowsById.has(s.sampleId));
    // Memory is planned for CFG whenever some item may run with it (its prompt has text or a melody).
    const needsCfg = usesCfg((opts.executor ? ofModel : pending).map((s) => s.cfgCoef), true);
    const capacity = batchCapacity(config, { duration: resolved.duration, cfg: needsCfg }, opts);
    const frames = framesForDuration(resolved.duration, config.audioEncoder.frameRate);
    const steps = decoderStepsForFrames(frames, numDistinctDelays(config.decoder.numCodebooks, config.decoder.audioChannels));
    const batches = opts.executor
      ? splitIntoBatches(ofModel, capacity).filter((b) => b.some((s) => !rowsById.has(s.sampleId)))
      : splitIntoBatches(pending, capacity);
    for (const batch of batches) {
      const items = batch.map((s) => batchItemOf(s, config, melodies));
      planned.push({ index: planned.length, model, config, settings: batch, items, melodySampleRate: CHROMA_SAMPLE_RATE, steps });
    }
  }
  const stepsDone = planned.map(() => 0);
  const stepsTotal = planned.map((b) => b.steps);
  let finishedBatches = 0;
  let doneSamples = skipped.length;
  const generated: string[] = [];
  const batches: SweepBatchRecord[] = [];
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const report = (model: string): void =>
    opts.progress?.({
      model,
      doneSamples,
      totalSamples: settings.length,
      skippedSamples: skipped.length,
      doneSteps: sum(stepsDone),
      totalSteps: sum(stepsTotal),
      batchIndex: finishedBatches,
      batchCount: planned.length,
    });

  const stopIfAborted = (): void => {
    if (!opts.signal?.aborted) return;
    throw new AbortError(
      `sweep interrupted: ${doneSamples} of ${settings.length} samples are finished and kept in ${outDir}; run the same sweep again to resume`,
    );
  };
  const executor = opts.executor ?? localExecutor(opts);
  try {
    await executor.run(planned, {
      spec: resolved,
      signal: opts.signal,
      log,
      onStep: (batch, done, total) => {
        stepsTotal[batch.index] = total;
        stepsDone[batch.index] = done;
        report(batch.model.name);
      },
      onDone: async (batch, out) => {
        const { result, wallMs } = out;
        makeOutDir();
        batches.push({ model: batch.model.name, sampleIds: batch.settings.map((s) => s.sampleId), decoderCalls: result.timings.decoderCalls, wallMs });
        for (const [i, s] of batch.settings.entries()) {
          if (rowsById.has(s.sampleId)) continue;
          const row = await finishSample(outDir, resolved, s, i, result, {
            batchIndex: batch.index,
            batchSize: batch.settings.length,
            wallMs,
            peakRssBytes: out.peakRssBytes,
            maxRssBytes: out.maxRssBytes,
            config: batch.config,
            melody: s.prompt.melody ? melodies.get(s.prompt.id) ?? null : null,
            embeddingMetrics: opts.embeddingMetrics ?? [],
          });
          rowsById.set(s.sampleId, row);
          generated.push(s.sampleId);
          doneSamples++;
        }
        stepsDone[batch.index] = stepsTotal[batch.index];
        finishedBatches++;
        report(batch.model.name);
        stopIfAborted();
      },
    });
  } catch (err) {
    // An interrupt (Ctrl-C, Kernel > Interrupt) ends with what is kept and how to resume.
    if (err instanceof AbortError) stopIfAborted();
    throw err;
  }

  const rows = settings.map((s) => rowsById.get(s.sampleId)!);
  makeOutDir();
  const files = {
    resultsCsv: join(outDir, 'results.csv'),
    resultsJson: join(outDir, 'results.json'),
    manifest: join(outDir, 'manifest.json'),
    spec: join(outDir, 'sweep.json'),
  };
  await writeFileAtomic(files.resultsCsv, toCsv(rows.map(flattenRow)));
  await writeJsonAtomic(files.resultsJson, rows);
  await writeJsonAtomic(files.manifest, mosManifestOf(resolved.name, rows));
  await writeJsonAtomic(files.spec, resolved);
  return { spec: resolved, outDir, rows, generated, skipped, batches, files };
}

/**
 * The embedded executor: one model loaded at a time, its batches run in plan order in this process.
 */
function localExecutor(opts: SweepRunOptions): SweepBatchExecutor {
  return {
    async run(planned, ctx) {
      for (const model of ctx.spec.models) {
        const own = planned.filter((b) => b.model === model);
        if (own.length === 0) continue;
        if (ctx.signal?.aborted) throw new AbortError('sweep aborted by the caller (AbortSignal)');
        ctx.log(`${model.name}: ${own.reduce((a, b) => a + b.settings.length, 0)} samples in ${own.length} batch(es) of up to ${own[0].settings.length}\n`);
        const generator = opts.loadModel ? await opts.loadModel(model) : await MusicGen.load(model.path, { dtype: model.dtype, threads: opts.threads });
        try {
          for (const batch of own) {
            const memory = new PeakMemorySampler().start();
            const t0 = performance.now();
            let result: BatchResult;
            try {
              const request = batchRequest(batch.items, {
                params: sweepParams(ctx.spec),
                melodySampleRate: batch.melodySampleRate,
                signal: ctx.signal,
                progress: (done, total) => {
                  memory.sample();
                  ctx.onStep(batch, done, total);
                },
              });
              const out = await generator.generateRequest(request);
              result = { ...out, items: out.items! };
            } catch (err) {
              memory.stop();
              throw err;
            }
            const peak = memory.stop();
            await ctx.onDone(batch, { result, wallMs: performance.now() - t0, ...peak });
          }
        } finally {
          await generator.dispose();
        }
      }
    },
  };
}

/** The params every batch of a sweep shares (sampling, CFG and seed are per item). */
function sweepParams(spec: ResolvedSweepSpec): GenerationRequest['params'] {
  return { duration: spec.duration, extendStride: spec.extendStride, twoStepCfg: spec.twoStepCfg };
}

/** Melodies as the model reads them (32 kHz mono: src/audio/chroma.ts), once per prompt. */
const chromaRateMelodies = new WeakMap<Melody, Float32Array[]>();

function melodyAtChromaRate(melody: Melody): Float32Array[] {
  let channels = chromaRateMelodies.get(melody);
  if (!channels) chromaRateMelodies.set(melody, (channels = [toChromaRate(melody.channels, melody.sampleRate)]));
  return channels;
}

function batchItemOf(s: SweepSetting, config: MusicgenModelConfig, melodies: Map<string, Melody>): BatchItem {
  const melody = melodies.get(s.prompt.id);
  return {
    text: s.prompt.text,
    params: { useSampling: s.useSampling, topK: s.topK, topP: s.topP, temperature: s.temperature, cfgCoef: s.cfgCoef, seed: s.seed },
    // Melodies condition melody models only; every model is still scored against the melody.
    melody: config.melody && melody ? melodyAtChromaRate(melody) : null,
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
    modelPath: s.model.path || `${s.model.repo}@${s.model.revision}`,
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
