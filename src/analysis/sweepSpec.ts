import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { NormalizeStrategy } from '../audio/normalize.js';
import type { ItemSettings } from '../inference/musicgen.js';
import { SweepSpecError } from './errors.js';

/** A model of a sweep: a model folder, with a display name and a decoder precision. */
export interface SweepModelSpec {
  /** Name in tables, plots and file names (default: the folder's name). */
  name?: string;
  /** ONNX model folder (relative paths: against the spec file's folder). Or give `repo`. */
  path?: string;
  /**
   * A hub model id (owner/name) instead of a folder: each `musicgen worker` of a queued sweep
   * fetches it into its own cache (README "Scaling out").
   */
  repo?: string;
  /** With `repo`: branch, tag or commit (default main; a queued sweep pins it to a commit). */
  revision?: string;
  /** Decoder precision suffix (fp32, q8, ...). Default fp32. */
  dtype?: string;
}

/** A prompt of a sweep: text (or null: unconditional) and, for melody models, a melody file. */
export interface SweepPromptSpec {
  /** Short id used in sample ids and the MOS manifest (default p0, p1, ...). */
  id?: string;
  text: string | null;
  /** Audio file whose chroma conditions melody models (relative: against the spec's folder). */
  melody?: string | null;
}

/** A sweep as written in a JSON file or passed as an object: every list is one axis of the grid. */
export interface SweepSpec {
  /** Name of the sample set (MOS manifest, report title). Default "sweep". */
  name?: string;
  models: Array<string | SweepModelSpec>;
  prompts: Array<string | SweepPromptSpec>;
  topK?: number[];
  topP?: number[];
  temperature?: number[];
  cfgCoef?: number[];
  /** Seeds: every setting is generated once per seed. Default [0]. */
  seeds?: number[];
  /** Seconds per sample. Default 5. */
  duration: number;
  /** Sample (default) or take the argmax. */
  useSampling?: boolean;
  twoStepCfg?: boolean;
  extendStride?: number;
  /** Normalisation of the written wavs (metrics are measured before it). Default loudness. */
  strategy?: NormalizeStrategy;
}

export interface SweepModel {
  name: string;
  /** The model folder; '' for a hub model (`repo`), which workers fetch. */
  path: string;
  dtype: string;
  /** A hub model id (owner/name) and its revision, when the spec names the model that way. */
  repo?: string;
  revision?: string;
}

export interface SweepPrompt {
  id: string;
  text: string | null;
  /** Absolute path of the melody file, or null. */
  melody: string | null;
}

/** A validated spec: defaults filled in, paths absolute. */
export interface ResolvedSweepSpec {
  name: string;
  models: SweepModel[];
  prompts: SweepPrompt[];
  topK: number[];
  topP: number[];
  temperature: number[];
  cfgCoef: number[];
  seeds: number[];
  duration: number;
  useSampling: boolean;
  twoStepCfg: boolean;
  extendStride: number;
  strategy: NormalizeStrategy;
}

/** One cell of the grid: one sample to generate. */
export interface SweepSetting extends ItemSettings {
  /** Unique, file-name safe; the sample's wav and sidecar are named after it. */
  sampleId: string;
  model: SweepModel;
  prompt: SweepPrompt;
}

const SPEC_KEYS = [
  'name',
  'models',
  'prompts',
  'topK',
  'topP',
  'temperature',
  'cfgCoef',
  'seeds',
  'duration',
  'useSampling',
  'twoStepCfg',
  'extendStride',
  'strategy',
] as const;
const STRATEGIES: readonly NormalizeStrategy[] = ['peak', 'clip', 'rms', 'loudness', 'none'];
/** Letters, digits, spaces and `_ . : = + -`: the MOS server's rule for names and ids. */
const SAFE_NAME = /^[A-Za-z0-9 _.:=+-]{1,100}$/;
/** The hub's rule for owner/name (no part starting with '.'): the hub layer checks it again. */
const HUB_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function numberList(
  spec: Json,
  key: string,
  fallback: number[],
  check: (n: number) => boolean,
  rule: string,
): number[] {
  const v = spec[key];
  if (v === undefined) return fallback;
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw new SweepSpecError(`spec.${key} must be a non-empty list of numbers (${rule}); got ${describe(v)}`);
  list.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || !check(x)) {
      throw new SweepSpecError(`spec.${key}[${i}] must be ${rule} (got ${describe(x)})`);
    }
  });
  const unique = [...new Set(list as number[])];
  if (unique.length !== list.length) throw new SweepSpecError(`spec.${key} lists a value twice (${describe(v)}); each value once`);
  return unique;
}

function optionalBool(spec: Json, key: string, fallback: boolean): boolean {
  const v = spec[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new SweepSpecError(`spec.${key} must be true or false (got ${describe(v)})`);
  return v;
}

function absolute(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function parseModels(v: unknown, baseDir: string): SweepModel[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new SweepSpecError(`spec.models must be a non-empty list of model folders (or {name, path, dtype}); got ${describe(v)}`);
  }
  const models = v.map((m, i): SweepModel => {
    const where = `spec.models[${i}]`;
    const raw: Json = typeof m === 'string' ? { path: m } : isObject(m) ? m : {};
    for (const k of Object.keys(raw)) {
      if (!['name', 'path', 'repo', 'revision', 'dtype'].includes(k)) throw new SweepSpecError(`${where}.${k} is not a model field; use name, path (or repo, revision), dtype`);
    }
    const dtype = raw.dtype ?? 'fp32';
    if (typeof dtype !== 'string') throw new SweepSpecError(`${where}.dtype must be a string such as "fp32" or "q8" (got ${describe(dtype)})`);
    const named = (fallback: string): string => {
      const name = raw.name === undefined ? fallback : raw.name;
      if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
        throw new SweepSpecError(`${where}.name ${describe(name)} must be 1-100 letters, digits, spaces or _ . : = + - (it names files and MOS systems)`);
      }
      return name;
    };
    if (raw.repo !== undefined) {
      // A resolved spec (sweep.json) keeps the folder it was fetched into beside repo ('' on a
      // queue); a spec someone writes gives one or the other.
      if (raw.path !== undefined && (typeof raw.path !== 'string' || (raw.path !== '' && !isAbsolute(raw.path)))) throw new SweepSpecError(`${where} gives both path and repo; a model is a folder or a hub id, not both (only a resolved sweep.json keeps the absolute folder a hub model was fetched into)`);
      if (typeof raw.repo !== 'string' || !HUB_ID.test(raw.repo)) {
        throw new SweepSpecError(`${where}.repo must be a hub model id owner/name, e.g. facebook/musicgen-small (got ${describe(raw.repo)})`);
      }
      const revision = raw.revision ?? 'main';
      if (typeof revision !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._/-]{0,199}$/.test(revision)) {
        throw new SweepSpecError(`${where}.revision must be a branch, tag or commit sha (got ${describe(raw.revision)})`);
      }
      return { name: named(raw.repo.split('/')[1]), path: (raw.path as string | undefined) ?? '', dtype, repo: raw.repo, revision };
    }
    if (raw.revision !== undefined) throw new SweepSpecError(`${where}.revision goes with repo (a hub model id); a folder has no revision`);
    if (typeof raw.path !== 'string' || raw.path === '') throw new SweepSpecError(`${where} must be a model folder path, {path, name?, dtype?} or {repo, revision?, name?, dtype?} (got ${describe(m)})`);
    return { name: named(basename(raw.path.replace(/[\\/]+$/, ''))), path: absolute(raw.path, baseDir), dtype };
  });
  const names = models.map((m) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new SweepSpecError(`spec.models: two models are named "${dup}"; give them distinct "name"s`);
  return models;
}

function parsePrompts(v: unknown, baseDir: string): SweepPrompt[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new SweepSpecError(`spec.prompts must be a non-empty list of descriptions (or {text, melody?, id?}); got ${describe(v)}`);
  }
  const prompts = v.map((p, i): SweepPrompt => {
    const where = `spec.prompts[${i}]`;
    const raw: Json = typeof p === 'string' ? { text: p } : isObject(p) ? p : { text: undefined };
    for (const k of Object.keys(raw)) {
      if (!['id', 'text', 'melody'].includes(k)) throw new SweepSpecError(`${where}.${k} is not a prompt field; use text, melody, id`);
    }
    if (raw.text !== null && (typeof raw.text !== 'string' || raw.text.trim() === '')) {
      throw new SweepSpecError(`${where}.text must be a description or null for unconditional (got ${describe(raw.text)})`);
    }
    const id = raw.id ?? `p${i}`;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(id)) {
      throw new SweepSpecError(`${where}.id ${describe(id)} must be 1-40 letters, digits or _ . - (it is part of file names)`);
    }
    if (raw.melody !== undefined && raw.melody !== null && (typeof raw.melody !== 'string' || raw.melody === '')) {
      throw new SweepSpecError(`${where}.melody must be an audio file path (got ${describe(raw.melody)})`);
    }
    return { id, text: raw.text as string | null, melody: typeof raw.melody === 'string' ? absolute(raw.melody, baseDir) : null };
  });
  const ids = prompts.map((p) => p.id);
  const dup = ids.find((n, i) => ids.indexOf(n) !== i);
  if (dup !== undefined) throw new SweepSpecError(`spec.prompts: two prompts have the id "${dup}"; give them distinct ids`);
  return prompts;
}

/**
 * Validates a sweep spec (a parsed JSON object or a TS object) and fills in defaults. Relative
 * model and melody paths resolve against `baseDir` (the spec file's folder). Every error names
 * the offending field, e.g. `spec.topK[1] must be an integer >= 0 (got -5)`.
 */
export function parseSweepSpec(input: unknown, baseDir: string = process.cwd()): ResolvedSweepSpec {
  if (!isObject(input)) throw new SweepSpecError(`a sweep spec must be a JSON object with models, prompts and duration (got ${describe(input)})`);
  for (const k of Object.keys(input)) {
    if (!(SPEC_KEYS as readonly string[]).includes(k)) {
      const hint = k.includes('_') ? ` (camelCase: ${k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}?)` : '';
      throw new SweepSpecError(`spec.${k} is not a sweep field${hint}; fields: ${SPEC_KEYS.join(', ')}`);
    }
  }
  const name = input.name ?? 'sweep';
  if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
    throw new SweepSpecError(`spec.name ${describe(name)} must be 1-100 letters, digits, spaces or _ . : = + - (the MOS server's rule)`);
  }
  const duration = input.duration ?? 5;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0.02) {
    throw new SweepSpecError(`spec.duration must be a number of seconds >= 0.02 (one frame); got ${describe(input.duration)}`);
  }
  const extendStride = input.extendStride ?? 18;
  if (typeof extendStride !== 'number' || !(extendStride > 0 && extendStride < 30)) {
    throw new SweepSpecError(`spec.extendStride must be seconds in (0, 30) (got ${describe(input.extendStride)})`);
  }
  const strategy = input.strategy ?? 'loudness';
  if (typeof strategy !== 'string' || !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new SweepSpecError(`spec.strategy must be one of ${STRATEGIES.join(', ')} (got ${describe(input.strategy)})`);
  }
  return {
    name,
    models: parseModels(input.models, baseDir),
    prompts: parsePrompts(input.prompts, baseDir),
    topK: numberList(input, 'topK', [250], (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0 (0 disables top-k)'),
    topP: numberList(input, 'topP', [0], (n) => n >= 0 && n <= 1, 'a number in [0, 1] (0 disables top-p)'),
    temperature: numberList(input, 'temperature', [1], (n) => n >= 0, 'a number >= 0 (0 means greedy)'),
    cfgCoef: numberList(input, 'cfgCoef', [3], (n) => n >= 0, 'a number >= 0 (1 = no guidance)'),
    seeds: numberList(input, 'seeds', [0], (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0'),
    duration,
    useSampling: optionalBool(input, 'useSampling', true),
    twoStepCfg: optionalBool(input, 'twoStepCfg', false),
    extendStride,
    strategy: strategy as NormalizeStrategy,
  };
}

/** Reads and validates a spec file; relative paths inside resolve against the file's folder. */
export function loadSweepSpec(path: string): ResolvedSweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SweepSpecError(`cannot read sweep spec ${path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SweepSpecError(`sweep spec ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseSweepSpec(parsed, dirname(resolve(path)));
}

/** A number in a file name: 0.9 -> "0.9", 1 -> "1". */
function token(n: number): string {
  return String(n).replace(/[^0-9.e-]/g, '');
}

/** The sample id of a setting: model, prompt and every swept value, so resumed sweeps find it. */
export function sampleIdOf(s: Omit<SweepSetting, 'sampleId'>): string {
  const model = s.model.name.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const greedy = s.useSampling ? '' : '_greedy';
  return `${model}__${s.prompt.id}__k${token(s.topK)}_p${token(s.topP)}_t${token(s.temperature)}_cfg${token(s.cfgCoef)}_s${s.seed}${greedy}`;
}

/** Every cell of the grid, ordered model, prompt, topK, topP, temperature, cfgCoef, seed. */
export function expandSweep(spec: ResolvedSweepSpec): SweepSetting[] {
  const out: SweepSetting[] = [];
  for (const model of spec.models) {
    for (const prompt of spec.prompts) {
      for (const topK of spec.topK) {
        for (const topP of spec.topP) {
          for (const temperature of spec.temperature) {
            for (const cfgCoef of spec.cfgCoef) {
              for (const seed of spec.seeds) {
                const s = { model, prompt, useSampling: spec.useSampling, topK, topP, temperature, cfgCoef, seed };
                out.push({ sampleId: sampleIdOf(s), ...s });
              }
            }
          }
        }
      }
    }
  }
  return out;
}
