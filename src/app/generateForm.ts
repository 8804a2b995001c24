import { randomInt } from 'node:crypto';
import { MAX_DURATION } from '../model/contextLength.js';
import { DEFAULT_GENERATION_PARAMS, InvalidGenerationParamError, resolveGenerationParams } from '../inference/generationParams.js';
import { AppFormError, AppInputError, type FieldProblem } from './errors.js';
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

/** The page's label of every field: messages name fields as the page does, not by their code names. */
export const FIELD_LABELS = {
  model: 'Model',
  description: 'Describe your music',
  melody: 'Melody',
  continuation: 'Continue this audio',
  duration: 'Duration',
  topK: 'Top-k',
  topP: 'Top-p',
  temperature: 'Temperature',
  cfgCoef: 'Classifier-free guidance',
  seed: 'Seed',
  samples: 'Samples',
} as const;

type FieldName = keyof typeof FIELD_LABELS;

function labelOf(field: string): string {
  return field in FIELD_LABELS ? FIELD_LABELS[field as FieldName] : field;
}

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

/** A form value as a number: numbers pass, numeric strings convert, anything else is a problem of the field. */
function toNumber(field: FieldName, v: NumberField, problems: FieldProblem[]): number | undefined {
  if (typeof v === 'number') return v;
  const s = v.trim();
  const n = s === '' ? NaN : Number(s);
  if (Number.isFinite(n)) return n;
  problems.push({ field, message: s === '' ? `${labelOf(field)} is required` : `${labelOf(field)} must be a number, got ${JSON.stringify(s)}` });
  return undefined;
}

/** The library's message with the page's label in place of the parameter's code name. */
function labelled(err: InvalidGenerationParamError): FieldProblem {
  const message = err.message.startsWith(`${err.param} `) ? `${labelOf(err.param)}${err.message.slice(err.param.length)}` : err.message;
  return { field: err.param, message };
}

/**
 * Turns the page's form into a job: checks every parameter with the library's
 * resolveGenerationParams (an InvalidGenerationParamError becomes a message on its field), the
 * duration against the demo's 1-120 s, and the uploads against the chosen model.
 */
export function parseGenerateForm(body: GenerateBody, model: ModelEntry, uploads: UploadStore, owner: string): JobInput {
  // Every wrong field is collected, so the page can mark them all at once.
  const problems: FieldProblem[] = [];
  let duration = toNumber('duration', body.duration, problems);
  if (duration !== undefined && !(duration >= MIN_DURATION_S && duration <= MAX_DURATION_S)) {
    problems.push({ field: 'duration', message: `${FIELD_LABELS.duration} must be from ${MIN_DURATION_S} to ${MAX_DURATION_S} seconds, got ${duration}` });
    duration = undefined;
  }
  const seedGiven = body.seed === undefined || body.seed === null || (typeof body.seed === 'string' && body.seed.trim() === '') ? undefined : body.seed;
  const given: Record<string, number | undefined> = {
    duration: duration ?? FORM_DEFAULTS.duration,
    topK: toNumber('topK', body.topK, problems),
    topP: toNumber('topP', body.topP, problems),
    temperature: toNumber('temperature', body.temperature, problems),
    cfgCoef: toNumber('cfgCoef', body.cfgCoef, problems),
    seed: seedGiven === undefined ? undefined : toNumber('seed', seedGiven, problems),
  };
  // resolveGenerationParams stops at the first wrong value: note it, fall back to the default for
  // that one, and check again (at most once per field).
  let resolved;
  for (let tries = 0; !resolved && tries <= Object.keys(given).length; tries++) {
    try {
      resolved = resolveGenerationParams(given, { maxDuration: MAX_DURATION, frameRate: model.frameRate });
    } catch (err) {
      if (!(err instanceof InvalidGenerationParamError) || !(err.param in given) || given[err.param] === undefined) throw err;
      problems.push(labelled(err));
      given[err.param] = undefined;
    }
  }
  if (!resolved) throw new AppInputError(null, 'the generation settings could not be checked');

  const melody = body.melody ? uploads.get(owner, body.melody, 'melody') : null;
  if (melody && !model.melody) {
    problems.push({ field: 'melody', message: `${model.label} is not a melody model: pick a melody model or remove the melody` });
  }
  const continuation = body.continuation ? uploads.get(owner, body.continuation, 'continuation') : null;
  if (continuation) {
    if (!model.continuation) {
      problems.push({
        field: 'continuation',
        message: `${model.label} has no onnx/encodec_encode.onnx, which continuation needs; convert the checkpoint with musicgen convert`,
      });
    } else if (duration !== undefined && continuation.info.durationS >= duration) {
      problems.push({
        field: 'continuation',
        message: `the continuation prompt is ${continuation.info.durationS.toFixed(1)} s and the duration counts it: ask for more than that, or upload a shorter prompt`,
      });
    }
  }
  if (problems.length > 0) throw new AppFormError(problems);
  // The seed is drawn here, not in the worker, so the page can show it before the run ends.
  const seed = resolved.seed ?? randomInt(0, 2 ** 31);
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
