import { randomInt } from 'node:crypto';
import { MAX_DURATION } from '../inference/musicgen.js';
import { DEFAULT_GENERATION_PARAMS, InvalidGenerationParamError, resolveGenerationParams } from '../inference/generationParams.js';
import { AppInputError } from './errors.js';
import type { JobInput } from './jobs.js';
import type { ModelEntry } from './modelCatalog.js';
import type { UploadStore } from './uploads.js';

/** The demo's slider range. */
export const MIN_DURATION_S = 1;
export const MAX_DURATION_S = 120;
export const MAX_SAMPLES = 4;

/** AudioCraft's demo defaults (duration 10 s; the rest are the library's = AudioCraft's). */
export const FORM_DEFAULTS = {
  duration: 10,
  topK: DEFAULT_GENERATION_PARAMS.topK,
  topP: DEFAULT_GENERATION_PARAMS.topP,
  temperature: DEFAULT_GENERATION_PARAMS.temperature,
  cfgCoef: DEFAULT_GENERATION_PARAMS.cfgCoef,
} as const;

type NumberField = number | string;

export interface GenerateBody {
  model: string;
  description: string;
  duration: NumberField;
  topK: NumberField;
  topP: NumberField;
  temperature: NumberField;
  cfgCoef: NumberField;
  seed?: NumberField | null;
  samples?: number;
  melody?: string | null;
  continuation?: string | null;
}

const numberField = { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 40 }] } as const;
const uploadRef = { anyOf: [{ type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' }, { type: 'null' }] } as const;

/**
 * Shape only (types and sizes); the values are checked by resolveGenerationParams below so the
 * page reports exactly what the library would, next to the field it names.
 */
export const generateBodySchema = {
  type: 'object',
  required: ['model', 'description', 'duration', 'topK', 'topP', 'temperature', 'cfgCoef'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' },
    description: { type: 'string', maxLength: 2000 },
    duration: numberField,
    topK: numberField,
    topP: numberField,
    temperature: numberField,
    cfgCoef: numberField,
    seed: { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 40 }, { type: 'null' }] },
    samples: { type: 'integer', minimum: 1, maximum: MAX_SAMPLES },
    melody: uploadRef,
    continuation: uploadRef,
  },
} as const;

/** A form value as a number: numbers pass, numeric strings convert, anything else names the field. */
function toNumber(field: string, v: NumberField): number {
  if (typeof v === 'number') return v;
  const s = v.trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isFinite(n)) throw new AppInputError(field, s === '' ? `${field} is required` : `${field} must be a number, got ${JSON.stringify(s)}`);
  return n;
}

/**
 * Turns the page's form into a job: checks every parameter with the library's
 * resolveGenerationParams (an InvalidGenerationParamError becomes a message on its field), the
 * duration against the demo's 1-120 s, and the uploads against the chosen model.
 */
export function parseGenerateForm(body: GenerateBody, model: ModelEntry, uploads: UploadStore, owner: string): JobInput {
  const duration = toNumber('duration', body.duration);
  if (!(duration >= MIN_DURATION_S && duration <= MAX_DURATION_S)) {
    throw new AppInputError('duration', `duration must be from ${MIN_DURATION_S} to ${MAX_DURATION_S} seconds, got ${duration}`);
  }
  const seedGiven = body.seed === undefined || body.seed === null || (typeof body.seed === 'string' && body.seed.trim() === '') ? undefined : body.seed;
  let resolved;
  try {
    resolved = resolveGenerationParams(
      {
        duration,
        topK: toNumber('topK', body.topK),
        topP: toNumber('topP', body.topP),
        temperature: toNumber('temperature', body.temperature),
        cfgCoef: toNumber('cfgCoef', body.cfgCoef),
        seed: seedGiven === undefined ? undefined : toNumber('seed', seedGiven),
      },
      { maxDuration: MAX_DURATION, frameRate: model.frameRate },
    );
  } catch (err) {
    if (err instanceof InvalidGenerationParamError) throw new AppInputError(err.param, err.message);
    throw err;
  }
  // The seed is drawn here, not in the worker, so the page can show it before the run ends.
  const seed = resolved.seed ?? randomInt(0, 2 ** 31);

  const melody = body.melody ? uploads.get(owner, body.melody, 'melody') : null;
  if (melody && !model.melody) {
    throw new AppInputError('melody', `${model.label} is not a melody model: pick a melody model or remove the melody`);
  }
  const continuation = body.continuation ? uploads.get(owner, body.continuation, 'continuation') : null;
  if (continuation) {
    if (!model.continuation) {
      throw new AppInputError('continuation', `${model.label} has no onnx/encodec_encode.onnx, which continuation needs; convert the checkpoint with musicgen convert`);
    }
    if (continuation.info.durationS >= duration) {
      throw new AppInputError(
        'continuation',
        `the continuation prompt is ${continuation.info.durationS.toFixed(1)} s and the duration counts it: ask for more than that, or upload a shorter prompt`,
      );
    }
  }
  return {
    description: body.description,
    samples: body.samples ?? 1,
    params: {
      duration: resolved.duration,
      topK: resolved.topK,
      topP: resolved.topP,
      temperature: resolved.temperature,
      cfgCoef: resolved.cfgCoef,
      extendStride: resolved.extendStride,
      seed,
    },
    melody: melody?.audio ?? null,
    continuation: continuation?.audio ?? null,
  };
}
