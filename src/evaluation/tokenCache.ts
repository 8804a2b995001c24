/**
 * The token cache (docs/EVALUATION.md): per segment `<id>.codes.npy` (int16 [K, frames]) and
 * `<id>.json` (the item's metadata plus model, frame rate, source file and offset). Files are
 * written under a temporary name and renamed, the .npy first: a segment whose .json exists is
 * complete, and an interrupted run leaves no partial .npy.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { TokenCacheError } from './errors.js';
import type { MusicMetadata } from './dataset.js';
import { decodeNpy, encodeNpyInt16 } from './npy.js';
import { processAlive } from '../processAlive.js';
import { writeFileAtomicSync } from '../atomicWrite.js';

export const CODES_SUFFIX = '.codes.npy';
export const INFO_SUFFIX = '.json';
/** Temporary files: `<final name>.tmp-<pid>`; a later run removes those of dead runs. */
const TMP_MARK = '.tmp-';

/** `<id>.json` of a cached segment. */
export interface SegmentInfo {
  id: string;
  /** The item's AudioCraft metadata (the .json beside its audio), {} when it had none. */
  metadata: MusicMetadata;
  /** The model folder whose EnCodec made the codes. */
  model: string;
  num_codebooks: number;
  audio_channels: number;
  codebook_size: number;
  frame_rate: number;
  sample_rate: number;
  frames: number;
  /** The source audio file (absolute), the segment's start and length in seconds. */
  source: string;
  offset: number;
  duration: number;
  /** Index of this segment in its item, and the item's number of segments. */
  segment: number;
  segments: number;
}

export interface CachedSegment {
  info: SegmentInfo;
  /** codes[k] = frame ids of codebook k. */
  codes: Int32Array[];
}

export function codesPath(dir: string, id: string): string {
  return join(dir, ...id.split('/')) + CODES_SUFFIX;
}

export function infoPath(dir: string, id: string): string {
  return join(dir, ...id.split('/')) + INFO_SUFFIX;
}

/** Whether a segment is finished (its .json is written last). */
export function isSegmentCached(dir: string, id: string): boolean {
  return existsSync(infoPath(dir, id)) && existsSync(codesPath(dir, id));
}

/** Several encoders may fill one cache: each writes under its own temporary name. */
function writeAtomic(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, bytes, `${path}${TMP_MARK}${process.pid}`);
}

/** Writes one segment: codes as int16 [K, frames], then its info. */
export function writeSegment(dir: string, codes: readonly Int32Array[], info: SegmentInfo): void {
  const K = codes.length;
  const frames = codes[0]?.length ?? 0;
  if (K !== info.num_codebooks || frames !== info.frames) {
    throw new TokenCacheError(`segment ${info.id}: codes are [${K}, ${frames}] but its info says [${info.num_codebooks}, ${info.frames}]`);
  }
  const flat = new Int16Array(K * frames);
  codes.forEach((row, k) => {
    for (let t = 0; t < frames; t++) {
      const c = row[t];
      if (c < 0 || c > 32767) throw new TokenCacheError(`segment ${info.id}: code ${c} does not fit int16`);
      flat[k * frames + t] = c;
    }
  });
  writeAtomic(codesPath(dir, info.id), encodeNpyInt16(flat, [K, frames]));
  writeAtomic(infoPath(dir, info.id), `${JSON.stringify(info, null, 2)}\n`);
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Removes temporary files left by runs that are no longer alive. */
export function removeStaleTemporaries(dir: string): number {
  let removed = 0;
  for (const f of walk(dir)) {
    const at = f.lastIndexOf(TMP_MARK);
    if (at < 0) continue;
    const pid = Number(f.slice(at + TMP_MARK.length));
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      rmSync(f, { force: true });
      removed++;
    }
  }
  return removed;
}


/** Ids of the finished segments of a cache folder, sorted. */
export function listCachedSegments(dir: string): string[] {
  if (!existsSync(dir)) throw new TokenCacheError(`token cache ${dir} does not exist; make it with musicgen encode <dataset> --model DIR --out ${dir}`);
  return walk(dir)
    .filter((f) => f.endsWith(CODES_SUFFIX))
    .map((f) => relative(dir, f.slice(0, -CODES_SUFFIX.length)).split(sep).join('/'))
    .filter((id) => existsSync(infoPath(dir, id)))
    .sort();
}

/** One cached segment: its info and codes, checked against each other. */
export function readSegment(dir: string, id: string): CachedSegment {
  const ip = infoPath(dir, id);
  let info: SegmentInfo;
  try {
    info = JSON.parse(readFileSync(ip, 'utf8')) as SegmentInfo;
  } catch (e) {
    throw new TokenCacheError(`${ip}: not valid JSON (${(e as Error).message})`);
  }
  const cp = codesPath(dir, id);
  const npy = decodeNpy(readFileSync(cp), cp);
  if (npy.shape.length !== 2 || npy.shape[0] !== info.num_codebooks || npy.shape[1] !== info.frames) {
    throw new TokenCacheError(`${cp}: shape [${npy.shape.join(', ')}] but ${ip} says [${info.num_codebooks}, ${info.frames}]`);
  }
  const [K, T] = npy.shape;
  const codes = Array.from({ length: K }, (_, k) => Int32Array.from(npy.data.subarray(k * T, (k + 1) * T)));
  return { info, codes };
}
