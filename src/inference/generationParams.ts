/**
 * Generation parameters with AudioCraft's defaults (MusicGen.set_generation_params, docs/ARCHITECTURE.md)
 * and their validation. Every out-of-range value is rejected with an InvalidGenerationParamError
 * naming the parameter, the value and the valid range.
 */

import { MusicgenError } from '../errors.js';
import { framesForDuration, MAX_DURATION } from '../model/contextLength.js';

export interface GenerationParams {
  /** Sample (true) or take the argmax (false). */
  useSampling: boolean;
  /** Keep the k most likely tokens (ties with the k-th kept); 0 disables. Used when topP is 0. */
  topK: number;
  /** Nucleus sampling mass in [0, 1]; 0 disables (then topK applies). */
  topP: number;
  /** Softmax temperature; 0 means argmax. */
  temperature: number;
  /** Classifier-free guidance coefficient; 1 means the conditional logits alone. */
  cfgCoef: number;
  /** Two separate forwards for CFG instead of one doubled batch (same result, less memory). */
  twoStepCfg: boolean;
  /** Seconds to generate, prompt included. Ignored when `frames` is given. */
  duration: number;
  /** Frames to generate (50 per second), prompt included; overrides `duration`. */
  frames?: number;
  /** Seconds between the starts of consecutive windows beyond maxDuration. */
  extendStride: number;
  /** Seed of the sampler; absent means a random seed chosen by the caller. */
  seed?: number;
}

/** Parameters after validation: `frames` is always set and `duration` agrees with it. */
export interface ResolvedGenerationParams extends GenerationParams {
  frames: number;
}

/** AudioCraft's MusicGen defaults. */
export const DEFAULT_GENERATION_PARAMS: Readonly<GenerationParams> = Object.freeze({
  useSampling: true,
  topK: 250,
  topP: 0,
  temperature: 1,
  cfgCoef: 3,
  twoStepCfg: false,
  duration: 15,
  extendStride: 18,
});

export const GENERATION_PARAM_KEYS: readonly (keyof GenerationParams)[] = Object.freeze([
  'useSampling',
  'topK',
  'topP',
  'temperature',
  'cfgCoef',
  'twoStepCfg',
  'duration',
  'frames',
  'extendStride',
  'seed',
]);

export class InvalidGenerationParamError extends MusicgenError {
  /** The offending key as the caller spelled it. */
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

export interface ResolveOptions {
  /** Longest single window in seconds (MusicGen: 30). */
  maxDuration?: number;
  /** Frames per second (MusicGen: 50). */
  frameRate?: number;
  /** Values to start from instead of the defaults (e.g. the model's current settings). */
  base?: GenerationParams;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

function fail(param: string, value: unknown, expectation: string): never {
  throw new InvalidGenerationParamError(param, `${param} must be ${expectation}, got ${describe(value)}`);
}

function finiteNumber(param: string, value: unknown, expectation: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(param, value, expectation);
  return value;
}

function bool(param: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(param, value, 'true or false');
  return value;
}

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Merges `partial` over the defaults (or `options.base`) and validates every field. Keys whose
 * value is `undefined` are treated as absent, so optional CLI flags can be passed straight through.
 */
export function resolveGenerationParams(
  partial: Partial<GenerationParams> | undefined = {},
  options: ResolveOptions = {},
): ResolvedGenerationParams {
  const maxDuration = options.maxDuration ?? MAX_DURATION;
  const frameRate = options.frameRate ?? 50;
  if (!(maxDuration > 0) || !Number.isFinite(maxDuration)) {
    throw new RangeError(`maxDuration must be a positive number, got ${maxDuration}`);
  }
  if (!(frameRate > 0) || !Number.isFinite(frameRate)) {
    throw new RangeError(`frameRate must be a positive number, got ${frameRate}`);
  }
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new InvalidGenerationParamError('params', `generation params must be an object, got ${describe(partial)}`);
  }
  const valid = GENERATION_PARAM_KEYS as readonly string[];
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(partial)) {
    if (!valid.includes(key)) {
      const camel = snakeToCamel(key);
      const hint = camel !== key && valid.includes(camel) ? ` (did you mean ${camel}?)` : '';
      throw new InvalidGenerationParamError(
        key,
        `unknown generation parameter ${JSON.stringify(key)}${hint}; valid parameters: ${valid.join(', ')}`,
      );
    }
    if (value !== undefined) given[key] = value;
  }
  const merged: Record<string, unknown> = { ...(options.base ?? DEFAULT_GENERATION_PARAMS), ...given };
  // A base's `frames` carries over only when the caller did not set `duration`.
  if (given.duration !== undefined && given.frames === undefined) delete merged.frames;

  const useSampling = bool('useSampling', merged.useSampling);
  const twoStepCfg = bool('twoStepCfg', merged.twoStepCfg);

  const topK = merged.topK;
  if (typeof topK !== 'number' || !Number.isSafeInteger(topK) || topK < 0) {
    fail('topK', topK, 'an integer >= 0 (0 disables top-k)');
  }
  const topP = finiteNumber('topP', merged.topP, 'a number in [0, 1] (0 disables top-p)');
  if (topP < 0 || topP > 1) fail('topP', topP, 'a number in [0, 1] (0 disables top-p)');
  const temperature = finiteNumber('temperature', merged.temperature, 'a finite number >= 0 (0 means greedy)');
  if (temperature < 0) fail('temperature', temperature, 'a finite number >= 0 (0 means greedy)');
  const cfgCoef = finiteNumber('cfgCoef', merged.cfgCoef, 'a finite number >= 0');
  if (cfgCoef < 0) fail('cfgCoef', cfgCoef, 'a finite number >= 0');
  const extendStride = finiteNumber('extendStride', merged.extendStride, `a number of seconds in (0, ${maxDuration})`);
  if (!(extendStride > 0 && extendStride < maxDuration)) {
    fail('extendStride', extendStride, `a number of seconds in (0, ${maxDuration}) (exclusive: windows must overlap)`);
  }
  if (framesForDuration(extendStride, frameRate) < 1) {
    fail('extendStride', extendStride, `at least one frame (${1 / frameRate} s)`);
  }

  let frames: number;
  let duration: number;
  if (merged.frames !== undefined) {
    const f = merged.frames;
    if (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 1) fail('frames', f, 'a positive integer');
    frames = f;
    duration = f / frameRate;
  } else {
    duration = finiteNumber('duration', merged.duration, 'a finite number of seconds > 0');
    if (!(duration > 0)) fail('duration', duration, 'a finite number of seconds > 0');
    // AudioCraft: total_gen_len = int(duration * frame_rate)
    frames = framesForDuration(duration, frameRate);
    if (frames < 1) fail('duration', duration, `at least one frame (${1 / frameRate} s)`);
  }

  const result: ResolvedGenerationParams = {
    useSampling,
    topK,
    topP,
    temperature,
    cfgCoef,
    twoStepCfg,
    duration,
    frames,
    extendStride,
  };
  if (merged.seed !== undefined) {
    const seed = merged.seed;
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      fail('seed', seed, `a safe integer (|seed| <= ${Number.MAX_SAFE_INTEGER})`);
    }
    result.seed = seed;
  }
  return result;
}
