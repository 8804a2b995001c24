import { createHash } from 'node:crypto';
import type { ItemCrossEntropy, ScoreItem } from '../evaluation/crossEntropyScorer.js';
import { MODEL_DTYPE_SUFFIX } from '../model/modelFiles.js';
import { allowedModelPath } from './allowedModels.js';
import { BATCH_FORMAT_VERSION } from './batchJob.js';
import { JobPayloadError, QueueJobError } from './errors.js';
import { base64ToFloat32, base64ToInt32, float32ToBase64, int32ToBase64 } from './floatCodec.js';

/** The BullMQ job name of a segment to score (sweep batches are named `batch`), on the same queue. */
export const EVALUATE_JOB_NAME = 'evaluate';

/** Limits a worker enforces: 30 s of frames per segment, MusicGen's codebook counts, a chroma. */
const MAX_FRAMES = 30 * 50 + 1;
const MAX_CODEBOOKS = 8;
const MAX_TEXT = 4096;
const MAX_CHROMA_VALUES = 4096 * 12;

/**
 * One segment of a token cache scored under one model folder (docs/EVALUATION.md): the codes, the
 * text condition, and for melody models the chroma the collector computed from the segment's
 * audio (a worker reads no file but the model folder).
 */
export interface EvaluationJobPayload {
  version: number;
  model: { path: string; dtype: string; decoderLayout: string };
  /** The segment's id in the token cache (names the row; not read by the worker). */
  id: string;
  /** codes[k]: codebook k's frame ids, int32 base64. */
  codes: string[];
  text: string | null;
  /** Melody models: chroma frames, float32 base64, `chromaBins` values each; else null. */
  chroma: string | null;
  chromaBins: number;
}

/** What a worker hands back: the scorer's result for the segment. */
export interface EvaluationJobResult extends ItemCrossEntropy {
  version: number;
  /** host:pid of the worker process that scored it. */
  worker: string;
}

export function evaluationJobPayload(
  model: { path: string; dtype: string; decoderLayout: string },
  segment: { id: string; codes: Int32Array[]; text: string | null; chroma: Float32Array[] | null },
): EvaluationJobPayload {
  const bins = segment.chroma?.[0]?.length ?? 0;
  const chroma = segment.chroma ? new Float32Array(segment.chroma.length * bins) : null;
  segment.chroma?.forEach((f, t) => chroma!.set(f, t * bins));
  return {
    version: BATCH_FORMAT_VERSION,
    model,
    id: segment.id,
    codes: segment.codes.map(int32ToBase64),
    text: segment.text,
    chroma: chroma ? float32ToBase64(chroma) : null,
    chromaBins: bins,
  };
}

/** A hash of everything that decides the result: the same segment under the same model is one job. */
export function evaluationJobId(payload: EvaluationJobPayload): string {
  return `evaluate-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 40)}`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fields(v: unknown, where: string, keys: readonly string[]): Json {
  if (!isObject(v)) throw new JobPayloadError(`${where} must be an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new JobPayloadError(`${where}.${k} is not a field of an evaluation job (format ${BATCH_FORMAT_VERSION})`);
  return v;
}

/**
 * Validates an evaluation job as strictly as a sweep batch: fields, types, sizes, the model folder
 * inside `allowModels`. Returns the folder and the ScoreItem; throws JobPayloadError.
 */
export function parseEvaluationJobPayload(
  data: unknown,
  allowModels: readonly string[],
): { modelPath: string; dtype: string; decoderLayout: string; item: ScoreItem } {
  const p = fields(data, 'job', ['version', 'model', 'id', 'codes', 'text', 'chroma', 'chromaBins']);
  if (p.version !== BATCH_FORMAT_VERSION) {
    throw new JobPayloadError(`job format ${JSON.stringify(p.version)} is not the format ${BATCH_FORMAT_VERSION} this worker reads; run the same musicgen-ts version on the collector and every worker`);
  }
  const m = fields(p.model, 'job.model', ['path', 'dtype', 'decoderLayout']);
  if (typeof m.dtype !== 'string' || !Object.hasOwn(MODEL_DTYPE_SUFFIX, m.dtype)) {
    throw new JobPayloadError(`job.model.dtype must be one of ${Object.keys(MODEL_DTYPE_SUFFIX).join(', ')} (got ${JSON.stringify(m.dtype)})`);
  }
  if (m.decoderLayout !== 'auto' && m.decoderLayout !== 'kvbuffer' && m.decoderLayout !== 'merged') {
    throw new JobPayloadError(`job.model.decoderLayout must be auto, kvbuffer or merged (got ${JSON.stringify(m.decoderLayout)})`);
  }
  if (typeof m.path !== 'string') throw new JobPayloadError(`job.model.path must be a folder path (got ${JSON.stringify(m.path)})`);
  const modelPath = allowedModelPath(m.path, allowModels);
  if (typeof p.id !== 'string' || p.id.length > 1024) throw new JobPayloadError('job.id must be a segment id');
  if (!Array.isArray(p.codes) || p.codes.length === 0 || p.codes.length > MAX_CODEBOOKS) throw new JobPayloadError(`job.codes must be 1-${MAX_CODEBOOKS} codebooks`);
  const codes = p.codes.map((c: unknown, k) => {
    const x = typeof c === 'string' && c.length <= ((MAX_FRAMES * 4 + 2) / 3) * 4 + 4 ? base64ToInt32(c) : null;
    if (!x || x.length === 0 || x.length > MAX_FRAMES || !x.every((v) => v >= 0 && v < 65_536)) {
      throw new JobPayloadError(`job.codes[${k}] must be base64 int32 frame ids in [0, 65536) (1-${MAX_FRAMES} frames)`);
    }
    return x;
  });
  if (p.text !== null && (typeof p.text !== 'string' || p.text.length > MAX_TEXT)) throw new JobPayloadError(`job.text must be null or a description of at most ${MAX_TEXT} characters`);
  let chroma: Float32Array[] | null = null;
  if (p.chroma !== null) {
    const bins = p.chromaBins;
    if (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 1 || bins > 48) throw new JobPayloadError('job.chromaBins must be the chroma bins per frame (1-48)');
    const flat = typeof p.chroma === 'string' && p.chroma.length <= (MAX_CHROMA_VALUES * 16) / 3 + 4 ? base64ToFloat32(p.chroma) : null;
    if (!flat || flat.length === 0 || flat.length % bins !== 0 || !flat.every(Number.isFinite)) throw new JobPayloadError('job.chroma must be null or base64 float32 chroma frames');
    chroma = Array.from({ length: flat.length / bins }, (_, t) => flat.slice(t * bins, (t + 1) * bins));
  }
  return { modelPath, dtype: m.dtype, decoderLayout: m.decoderLayout, item: { codes, text: p.text as string | null, chroma } };
}

/** Reads a finished evaluation job's return value. */
export function parseEvaluationJobResult(value: unknown, jobId: string): EvaluationJobResult {
  const r = value as Partial<EvaluationJobResult> | null;
  if (!isObject(r) || r.version !== BATCH_FORMAT_VERSION || !Array.isArray(r.crossEntropy) || typeof r.ce !== 'number' || typeof r.frames !== 'number') {
    throw new QueueJobError(`job ${jobId} finished with a result this collector cannot read; run the same musicgen-ts version on the collector and every worker`);
  }
  return r as EvaluationJobResult;
}
