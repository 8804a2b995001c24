/**
 * Datasets as AudioCraft's AudioDataset.from_path reads them (docs/EVALUATION.md): a folder of
 * audio files searched recursively, or a JSONL manifest (data.jsonl / data.jsonl.gz, one
 * {"path", "duration", "sample_rate", ...} per line); in both, an item's music metadata is the
 * .json file beside its audio (MusicDataset).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors.js';
import { MAX_DURATION } from '../model/contextLength.js';

/** Audio extensions read here (AudioCraft's DEFAULT_EXTS without .m4a, which needs ffmpeg). */
export const DATASET_AUDIO_EXTENSIONS = ['.wav', '.mp3', '.flac', '.ogg'] as const;
/** The manifest names AudioCraft looks for in a dataset folder. */
export const MANIFEST_NAMES = ['data.jsonl', 'data.jsonl.gz'] as const;

/** AudioCraft music metadata (description, title, artist, genre, moods, keywords, bpm, key, …). */
export type MusicMetadata = Record<string, unknown>;

export interface DatasetItem {
  /** Absolute path of the audio file. */
  path: string;
  /** Stable id: the path relative to the dataset root, without extension, `/`-separated. */
  id: string;
  /** From the manifest, when it says. */
  duration: number | null;
  sampleRate: number | null;
  /** The .json beside the audio, or null when there is none. */
  metadata: MusicMetadata | null;
}

function audioFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...audioFiles(p));
    else if ((DATASET_AUDIO_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** The metadata .json beside an audio file (Path(path).with_suffix('.json')), or null. */
export function readMusicMetadata(audioPath: string): MusicMetadata | null {
  const file = join(dirname(audioPath), `${basename(audioPath, extname(audioPath))}.json`);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${file}: not valid JSON (${(e as Error).message}); fix or remove the metadata file`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DatasetError(`${file}: metadata must be a JSON object`);
  return parsed as MusicMetadata;
}

/** Relative path without extension as a portable id; paths outside the root keep their own parts. */
function itemId(root: string, path: string): string {
  let rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) rel = path.replace(/^[/\\]+/, '');
  const parts = rel.split(sep).map((p) => (p === '..' ? '_' : p));
  const last = parts.length - 1;
  parts[last] = basename(parts[last], extname(parts[last]));
  return parts.join('/');
}

function manifestLines(file: string): string[] {
  let bytes = readFileSync(file);
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(`${file}: not a gzip file (${(e as Error).message})`);
    }
  }
  return bytes
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Items of a JSONL manifest: paths as AudioCraft opens them (cwd), else from the manifest's folder. */
export function readManifest(file: string): DatasetItem[] {
  const root = dirname(resolve(file));
  return manifestLines(file).map((line, i) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new DatasetError(`${file} line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof entry?.path !== 'string' || entry.path === '') throw new DatasetError(`${file} line ${i + 1}: no "path"`);
    const fromCwd = resolve(entry.path);
    const path = isAbsolute(entry.path) || existsSync(fromCwd) ? fromCwd : resolve(root, entry.path);
    if (!existsSync(path)) throw new DatasetError(`${file} line ${i + 1}: audio file ${entry.path} not found (looked in ${process.cwd()} and ${root})`);
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
    return { path, id: itemId(root, path), duration: num(entry.duration), sampleRate: num(entry.sample_rate), metadata: readMusicMetadata(path) };
  });
}

/**
 * The items of a dataset: a manifest file, a folder with a manifest, or a folder of audio files.
 * Ids are unique (an id shared by two files, e.g. song.wav and song.mp3, is an error).
 */
export function readDataset(path: string): DatasetItem[] {
  const p = resolve(path);
  if (!existsSync(p)) throw new DatasetError(`dataset ${p} does not exist; give a folder of audio files or a data.jsonl manifest`);
  let items: DatasetItem[];
  if (statSync(p).isDirectory()) {
    const manifest = MANIFEST_NAMES.map((m) => join(p, m)).find((m) => existsSync(m));
    if (manifest) items = readManifest(manifest);
    else items = audioFiles(p).map((f) => ({ path: f, id: itemId(p, f), duration: null, sampleRate: null, metadata: readMusicMetadata(f) }));
  } else if (/\.jsonl(\.gz)?$/.test(p)) {
    items = readManifest(p);
  } else {
    throw new DatasetError(`${p} is neither a folder nor a .jsonl / .jsonl.gz manifest`);
  }
  if (items.length === 0) throw new DatasetError(`dataset ${p} has no audio files (${DATASET_AUDIO_EXTENSIONS.join(', ')})`);
  const seen = new Map<string, string>();
  for (const it of items) {
    const other = seen.get(it.id);
    if (other) throw new DatasetError(`${other} and ${it.path} map to the same item id "${it.id}"; rename one of them`);
    seen.set(it.id, it.path);
  }
  return items;
}

/** Default segment length: AudioCraft's segment_duration and the decoder's 30 s context. */
export const DEFAULT_SEGMENT_SECONDS = MAX_DURATION;
/** A last remainder shorter than this is dropped. */
export const DEFAULT_MIN_SEGMENT_SECONDS = 1;

export interface Segment {
  index: number;
  /** Start and length in seconds. */
  offset: number;
  duration: number;
}

/** Consecutive segments from the start; a remainder shorter than `minSegment` is dropped. */
export function segmentsOf(duration: number, segment = DEFAULT_SEGMENT_SECONDS, minSegment = DEFAULT_MIN_SEGMENT_SECONDS): Segment[] {
  if (!(segment > 0) || !(minSegment > 0) || minSegment > segment) {
    throw new DatasetError(`segment lengths must satisfy 0 < min-segment (${minSegment}) <= segment (${segment})`);
  }
  const out: Segment[] = [];
  // A microsecond of slack: 60.0000001 s of audio is two 30 s segments, not two and a sliver.
  for (let offset = 0; duration - offset >= minSegment - 1e-6; offset += segment) {
    out.push({ index: out.length, offset, duration: Math.min(segment, duration - offset) });
  }
  return out;
}

/** The text condition of an item: its metadata's description, trimmed; null for the null condition. */
export function descriptionOf(metadata: MusicMetadata | null): string | null {
  const d = metadata?.description;
  if (typeof d !== 'string') return null;
  const t = d.trim();
  return t === '' ? null : t;
}

/** `<item id>.<segment index, 3 digits>`: the id of a segment in the token cache and results. */
export function segmentId(itemId: string, index: number): string {
  return `${itemId}.${String(index).padStart(3, '0')}`;
}
