import { createHash } from 'node:crypto';
import type { BatchItem, BatchResult, GenerationTimings, ItemSettings } from '../inference/musicgen.js';
import { MODEL_DTYPE_SUFFIX } from '../model/modelFiles.js';
import type { PlannedSweepBatch } from '../analysis/sweepRunner.js';
import type { ResolvedSweepSpec, SweepModel } from '../analysis/sweepSpec.js';
import { allowedHubModel, allowedModelPath } from './allowedModels.js';
import { JobPayloadError, QueueJobError } from './errors.js';
import { base64ToFloat32, float32ToBase64 } from './floatCodec.js';

/** The BullMQ queue sweeps use. */
export const QUEUE_NAME = 'musicgen-sweep';
/**
 * Version of the job payload and result formats: part of every job id, checked by workers, so a
 * collector and workers of different versions never exchange work they would read differently.
 */
export const BATCH_FORMAT_VERSION = 2;

/** Limits a worker enforces on a payload, so a job cannot make it allocate without bound. */
const MAX_ITEMS = 256;
const MAX_TEXT = 4096;
const MAX_DURATION_S = 3600;
const MAX_MELODY_SAMPLES = 48_000 * 600;

export interface BatchJobItem {
  text: string | null;
  settings: ItemSettings;
  /** Melody channels (float32 base64) at `melodySampleRate`, for melody models; else null. */
  melody: string[] | null;
}

/**
 * The model of a job: a folder present at the same path on every worker, or a hub model at a
 * commit (the collector pins the revision, so every worker fetches the same weights).
 */
export type BatchJobModel = { name: string; dtype: string; path: string } | { name: string; dtype: string; repo: string; commit: string };

/** Where a worker loads a job's model from, once the payload is checked. */
export type JobModelSource = { kind: 'folder'; path: string } | { kind: 'hub'; repoId: string; commit: string };

/** One planner batch as a job: everything a worker needs, no file path but the model folder. */
export interface BatchJobPayload {
  version: number;
  model: BatchJobModel;
  params: { duration: number; extendStride: number; twoStepCfg: boolean };
  melodySampleRate: number;
  items: BatchJobItem[];
}

/** The payload of a planned batch. */
export function batchJobPayload(batch: PlannedSweepBatch, spec: ResolvedSweepSpec): BatchJobPayload {
  return {
    version: BATCH_FORMAT_VERSION,
    model: jobModel(batch.model),
    params: { duration: spec.duration, extendStride: spec.extendStride, twoStepCfg: spec.twoStepCfg },
    melodySampleRate: batch.melodySampleRate,
    items: batch.items.map((item, i) => {
      const s = batch.settings[i];
      return {
        text: typeof item.text === 'string' ? item.text : null,
        settings: { useSampling: s.useSampling, topK: s.topK, topP: s.topP, temperature: s.temperature, cfgCoef: s.cfgCoef, seed: s.seed },
        melody: item.melody ? item.melody.map(float32ToBase64) : null,
      };
    }),
  };
}

function jobModel(m: SweepModel): BatchJobModel {
  if (m.repo === undefined) return { name: m.name, path: m.path, dtype: m.dtype };
  if (m.revision === undefined || !/^[0-9a-f]{40}$/.test(m.revision)) {
    // runSweepOnQueue pins every hub model to the commit its revision points at before planning.
    throw new QueueJobError(`hub model ${m.repo} reached the queue at revision ${String(m.revision)}, not at a commit; run it through runSweepOnQueue`);
  }
  return { name: m.name, repo: m.repo, commit: m.revision, dtype: m.dtype };
}

/**
 * The job id of a payload: a hash of the model, the settings, the melodies and the format version.
 * Enqueueing the same batch again (a resumed collector) names the same job, which BullMQ keeps once.
 */
export function batchJobId(payload: BatchJobPayload): string {
  return `batch-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 40)}`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fields(v: unknown, where: string, keys: readonly string[]): Json {
  if (!isObject(v)) throw new JobPayloadError(`${where} must be an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new JobPayloadError(`${where}.${k} is not a field of a batch job (format ${BATCH_FORMAT_VERSION})`);
  return v;
}

function num(v: unknown, where: string, ok: (n: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new JobPayloadError(`${where} must be ${rule} (got ${JSON.stringify(v)})`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new JobPayloadError(`${where} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

const int = (lo: number, hi: number) => (n: number) => Number.isSafeInteger(n) && n >= lo && n <= hi;

/**
 * Validates a job's data as strictly as a sweep spec: every field, type and range, the model
 * folder inside `allowModels` (or the hub model named there: `owner/name`, `owner/*`). Returns the
 * batch's items (batchRequest's input); throws JobPayloadError.
 */
export function parseBatchJobPayload(
  data: unknown,
  allowModels: readonly string[],
): { payload: BatchJobPayload; source: JobModelSource; items: BatchItem[] } {
  const p = fields(data, 'job', ['version', 'model', 'params', 'melodySampleRate', 'items']);
  if (p.version !== BATCH_FORMAT_VERSION) {
    throw new JobPayloadError(`job format ${JSON.stringify(p.version)} is not the format ${BATCH_FORMAT_VERSION} this worker reads; run the same musicgen-ts version on the collector and every worker`);
  }
  const m = fields(p.model, 'job.model', ['name', 'path', 'repo', 'commit', 'dtype']);
  if (typeof m.name !== 'string' || !/^[A-Za-z0-9 _.:=+-]{1,100}$/.test(m.name)) throw new JobPayloadError(`job.model.name must be a model name (got ${JSON.stringify(m.name)})`);
  if (typeof m.dtype !== 'string' || !Object.hasOwn(MODEL_DTYPE_SUFFIX, m.dtype)) {
    throw new JobPayloadError(`job.model.dtype must be one of ${Object.keys(MODEL_DTYPE_SUFFIX).join(', ')} (got ${JSON.stringify(m.dtype)})`);
  }
  let model: BatchJobModel;
  let source: JobModelSource;
  if (m.repo !== undefined || m.commit !== undefined) {
    if (m.path !== undefined) throw new JobPayloadError('job.model names both a folder (path) and a hub model (repo)');
    if (typeof m.repo !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}$/.test(m.repo)) {
      throw new JobPayloadError(`job.model.repo must be a hub model id owner/name (got ${JSON.stringify(m.repo)})`);
    }
    if (typeof m.commit !== 'string' || !/^[0-9a-f]{40}$/.test(m.commit)) throw new JobPayloadError(`job.model.commit must be a 40-hex commit sha (got ${JSON.stringify(m.commit)})`);
    source = { kind: 'hub', repoId: allowedHubModel(m.repo, allowModels), commit: m.commit };
    model = { name: m.name, repo: m.repo, commit: m.commit, dtype: m.dtype };
  } else {
    if (typeof m.path !== 'string') throw new JobPayloadError(`job.model.path must be a folder path (got ${JSON.stringify(m.path)})`);
    source = { kind: 'folder', path: allowedModelPath(m.path, allowModels) };
    model = { name: m.name, path: m.path, dtype: m.dtype };
  }
  const params = fields(p.params, 'job.params', ['duration', 'extendStride', 'twoStepCfg']);
  const duration = num(params.duration, 'job.params.duration', (n) => n >= 0.02 && n <= MAX_DURATION_S, `seconds in [0.02, ${MAX_DURATION_S}]`);
  const extendStride = num(params.extendStride, 'job.params.extendStride', (n) => n > 0 && n < 30, 'seconds in (0, 30)');
  const twoStepCfg = bool(params.twoStepCfg, 'job.params.twoStepCfg');
  const melodySampleRate = num(p.melodySampleRate, 'job.melodySampleRate', int(8000, 192_000), 'a sample rate in Hz');
  if (!Array.isArray(p.items) || p.items.length === 0 || p.items.length > MAX_ITEMS) {
    throw new JobPayloadError(`job.items must be a list of 1-${MAX_ITEMS} items (got ${Array.isArray(p.items) ? p.items.length : JSON.stringify(p.items)})`);
  }
  const jobItems: BatchJobItem[] = [];
  const items = p.items.map((raw: unknown, i): BatchItem => {
    const where = `job.items[${i}]`;
    const it = fields(raw, where, ['text', 'settings', 'melody']);
    if (it.text !== null && (typeof it.text !== 'string' || it.text.length > MAX_TEXT)) throw new JobPayloadError(`${where}.text must be null or a description of at most ${MAX_TEXT} characters`);
    const s = fields(it.settings, `${where}.settings`, ['useSampling', 'topK', 'topP', 'temperature', 'cfgCoef', 'seed']);
    const settings: ItemSettings = {
      useSampling: bool(s.useSampling, `${where}.settings.useSampling`),
      topK: num(s.topK, `${where}.settings.topK`, int(0, 1_000_000), 'an integer >= 0'),
      topP: num(s.topP, `${where}.settings.topP`, (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
      temperature: num(s.temperature, `${where}.settings.temperature`, (n) => n >= 0, 'a number >= 0'),
      cfgCoef: num(s.cfgCoef, `${where}.settings.cfgCoef`, (n) => n >= 0, 'a number >= 0'),
      seed: num(s.seed, `${where}.settings.seed`, int(0, Number.MAX_SAFE_INTEGER), 'an integer >= 0'),
    };
    let melody: Float32Array[] | null = null;
    if (it.melody !== null) {
      if (!Array.isArray(it.melody) || it.melody.length < 1 || it.melody.length > 2) throw new JobPayloadError(`${where}.melody must be null or 1-2 channels`);
      melody = it.melody.map((c: unknown, ch) => {
        const x = typeof c === 'string' && c.length <= (MAX_MELODY_SAMPLES * 4 * 4) / 3 + 4 ? base64ToFloat32(c) : null;
        if (!x || x.length === 0 || !x.every(Number.isFinite)) throw new JobPayloadError(`${where}.melody[${ch}] must be base64 float32 samples (finite, at most ${MAX_MELODY_SAMPLES})`);
        return x;
      });
    }
    jobItems.push({ text: it.text as string | null, settings, melody: it.melody as string[] | null });
    return { text: it.text as string | null, params: settings, melody };
  });
  return {
    payload: { version: BATCH_FORMAT_VERSION, model, params: { duration, extendStride, twoStepCfg }, melodySampleRate, items: jobItems },
    source,
    items,
  };
}

/**
 * What a worker hands back as the job's return value: everything but the codes and audio, which
 * travel as one binary Redis value (`data.key`; int32 codes, then float32 audio, item by item,
 * little-endian). A return value is copied into BullMQ's event stream and through the sandbox's
 * IPC as JSON; megabytes of audio per sample there would cost seconds per job and fill Redis.
 */
export interface BatchJobResult {
  version: number;
  sampleRate: number;
  frames: number;
  params: BatchResult['params'];
  items: ItemSettings[];
  data: {
    key: string;
    bytes: number;
    /** codeLengths[item][codebook]: frames per codebook. */
    codeLengths: number[][];
    /** audioLengths[item][channel]: samples per channel. */
    audioLengths: number[][];
  };
  timings: GenerationTimings;
  wallMs: number;
  peakRssBytes: number;
  maxRssBytes: number;
  /** host:pid of the worker process that ran the job. */
  worker: string;
}

/** Redis key of a job's codes and audio: under the queue's name, removed once collected. */
export function batchDataKey(jobId: string): string {
  return `${QUEUE_NAME}:data:${jobId}`;
}

/** Splits a BatchResult into the JSON return value and the binary codes + audio to store at `key`. */
export function encodeBatchResult(
  result: BatchResult,
  run: { wallMs: number; peakRssBytes: number; maxRssBytes: number; worker: string },
  key: string,
): { value: BatchJobResult; data: Buffer } {
  const parts: Buffer[] = [];
  for (const item of result.codes) for (const c of item) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  for (const item of result.audio) for (const a of item) parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const data = Buffer.concat(parts);
  return {
    value: {
      version: BATCH_FORMAT_VERSION,
      sampleRate: result.sampleRate,
      frames: result.frames,
      params: result.params,
      items: result.items,
      data: {
        key,
        bytes: data.length,
        codeLengths: result.codes.map((item) => item.map((c) => c.length)),
        audioLengths: result.audio.map((item) => item.map((a) => a.length)),
      },
      timings: result.timings,
      ...run,
    },
    data,
  };
}

/** Reads a finished job's return value and its binary data back into what the sweep runner writes. */
export function decodeBatchResult(
  value: unknown,
  data: Buffer,
  expectItems: number,
  jobId: string,
): { result: BatchResult; wallMs: number; peakRssBytes: number; maxRssBytes: number; worker: string } {
  const bad = (what: string): QueueJobError =>
    new QueueJobError(`job ${jobId} finished with a result this collector cannot read (${what}); run the same musicgen-ts version on the collector and every worker`);
  if (!isObject(value) || value.version !== BATCH_FORMAT_VERSION) throw bad(`format ${isObject(value) ? JSON.stringify(value.version) : typeof value}`);
  const r = value as unknown as BatchJobResult;
  const { codeLengths, audioLengths } = r.data ?? {};
  if (!Array.isArray(codeLengths) || codeLengths.length !== expectItems || !Array.isArray(audioLengths) || audioLengths.length !== expectItems || r.items?.length !== expectItems) {
    throw bad(`expected ${expectItems} items`);
  }
  const total = 4 * [...codeLengths, ...audioLengths].flat().reduce((a, b) => a + b, 0);
  if (data.length !== total || data.length !== r.data.bytes) throw bad(`${data.length} bytes of codes and audio where ${total} were described`);
  // Copies: the Buffer's offset need not be 4-byte aligned.
  let at = 0;
  const take = <T extends Int32Array | Float32Array>(make: (n: number) => T, n: number): T => {
    const out = make(n);
    new Uint8Array(out.buffer).set(data.subarray(at, at + 4 * n));
    at += 4 * n;
    return out;
  };
  const codes = codeLengths.map((item) => item.map((n) => take((k) => new Int32Array(k), n)));
  const audio = audioLengths.map((item) => item.map((n) => take((k) => new Float32Array(k), n)));
  return {
    result: { codes, audio, sampleRate: r.sampleRate, frames: r.frames, params: r.params, items: r.items, timings: r.timings },
    wallMs: r.wallMs,
    peakRssBytes: r.peakRssBytes,
    maxRssBytes: r.maxRssBytes,
    worker: r.worker,
  };
}
