import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the copied Hugging Face reference fixtures (see test/fixtures/hf-reference/README.md). */
export const HF_REFERENCE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'hf-reference');

export type FixtureModel = 'musicgen-tiny' | 'musicgen-stereo-tiny' | 'musicgen-melody-tiny';

interface TensorEntry {
  file?: string;
  dtype?: 'float32' | 'int64';
  shape?: number[];
  value?: unknown;
  description: string;
}

interface FixtureIndex {
  tensors: Record<string, TensorEntry>;
}

export interface Float32Fixture {
  data: Float32Array;
  shape: number[];
}

export interface Int64Fixture {
  /** int64 values converted to numbers (all fixture ids are small). */
  data: number[];
  shape: number[];
}

const indexCache = new Map<string, FixtureIndex>();

function folderOf(model: FixtureModel | 'dsp'): string {
  return model === 'dsp' ? join(HF_REFERENCE_DIR, 'dsp') : join(HF_REFERENCE_DIR, model, 'reference');
}

function index(model: FixtureModel | 'dsp'): FixtureIndex {
  const dir = folderOf(model);
  let idx = indexCache.get(dir);
  if (!idx) {
    idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as FixtureIndex;
    indexCache.set(dir, idx);
  }
  return idx;
}

function entry(model: FixtureModel | 'dsp', name: string): TensorEntry {
  const e = index(model).tensors[name];
  if (!e) throw new Error(`fixture ${model}/${name} not found in index.json`);
  return e;
}

export function fixtureF32(model: FixtureModel | 'dsp', name: string): Float32Fixture {
  const e = entry(model, name);
  if (e.dtype !== 'float32' || !e.file || !e.shape) throw new Error(`fixture ${name} is not a float32 tensor`);
  const buf = readFileSync(join(folderOf(model), e.file));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { data, shape: e.shape };
}

export function fixtureI64(model: FixtureModel | 'dsp', name: string): Int64Fixture {
  const e = entry(model, name);
  if (e.dtype !== 'int64' || !e.file || !e.shape) throw new Error(`fixture ${name} is not an int64 tensor`);
  const buf = readFileSync(join(folderOf(model), e.file));
  const big = new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { data: Array.from(big, Number), shape: e.shape };
}

export function fixtureValue<T = unknown>(model: FixtureModel | 'dsp', name: string): T {
  return entry(model, name).value as T;
}

/** Folder holding config.json + model.safetensors of a fixture checkpoint. */
export function fixtureCheckpointDir(model: FixtureModel): string {
  return join(HF_REFERENCE_DIR, model);
}

/** Relative L2 error ||a - b|| / ||b||. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** The fixtures' two T5 token rows (text.input_ids / text.attention_mask) as generate() input. */
export function fixtureTextTokens(model: FixtureModel): { inputIds: number[][]; attentionMask: number[][] } {
  const ids = fixtureI64(model, 'text.input_ids');
  const mask = fixtureI64(model, 'text.attention_mask');
  const [B, T] = ids.shape;
  const rows = (d: number[]): number[][] => Array.from({ length: B }, (_, b) => d.slice(b * T, (b + 1) * T));
  return { inputIds: rows(ids.data), attentionMask: rows(mask.data) };
}

/** codes[item][codebook] flattened item-major, the layout of the fixtures' *.codes. */
export function flatCodes(codes: Int32Array[][]): number[] {
  return codes.flatMap((item) => item.flatMap((row) => Array.from(row)));
}

/** audio[item][channel] flattened item-major, the layout of the fixtures' *.audio_values. */
export function flatAudio(audio: Float32Array[][]): Float32Array {
  return Float32Array.from(audio.flatMap((item) => item.flatMap((ch) => Array.from(ch))));
}
