import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { MosInputError } from './errors.js';
import { checkName, type SetEntry, type SetSpec } from './setSpec.js';

/** One system's folder: an AudioCraft samples folder (`<xp>/samples`), or its epoch subfolder. */
export interface SamplesFolder {
  system: string;
  dir: string;
}

const AUDIO_EXT = ['.wav', '.flac', '.mp3', '.ogg'];
const MAX_FILES = 100_000;
const MAX_DEPTH = 6;

interface Sidecar {
  id: string;
  epoch: number;
  prompt: string | null;
  audio: string;
}

/** Every `*.json` under dir (bounded depth and count); skips AudioCraft's reference/ and prompt/ folders. */
function sidecarFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= MAX_FILES) throw new MosInputError(`${dir} holds more than ${MAX_FILES} sidecar files`);
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== 'reference' && e.name !== 'prompt') walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir, 0);
  return out;
}

/**
 * Reads one sidecar as AudioCraft's SampleManager writes it (`id`, `path`, `epoch`,
 * `conditioning.description`). The audio is the file beside the sidecar with the same stem:
 * the `path` inside was written on the training machine and is only a fallback.
 */
function readSidecar(file: string): Sidecar | null {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null; // not a sidecar (e.g. a stray config file)
  }
  if (typeof data.id !== 'string') return null;
  const stem = file.slice(0, -'.json'.length);
  let audio = AUDIO_EXT.map((ext) => stem + ext).find((p) => existsSync(p));
  if (!audio && typeof data.path === 'string' && AUDIO_EXT.includes(extname(data.path)) && existsSync(data.path)) audio = data.path;
  if (!audio) throw new MosInputError(`no audio file beside ${file} (looked for ${basename(stem)}.wav/.flac/.mp3/.ogg)`);
  const cond = data.conditioning as Record<string, unknown> | null | undefined;
  const description = cond && typeof cond.description === 'string' ? cond.description : null;
  return { id: data.id, epoch: typeof data.epoch === 'number' ? data.epoch : 0, prompt: description, audio };
}

/**
 * Builds a sample set from AudioCraft sample folders, one per system. Like SampleManager's
 * get_samples, only the latest epoch of each folder is used.
 */
export function readAudiocraftFolders(name: string, folders: readonly SamplesFolder[], reference: string | null): SetSpec {
  checkName(name, 'set name');
  if (folders.length === 0) throw new MosInputError('give at least one samples folder (--folder SYSTEM=DIR)');
  const entries: SetEntry[] = [];
  for (const f of folders) {
    const system = checkName(f.system, 'system name');
    if (!existsSync(f.dir)) throw new MosInputError(`samples folder ${f.dir} does not exist`);
    const samples = sidecarFiles(f.dir)
      .map(readSidecar)
      .filter((s): s is Sidecar => s !== null);
    if (samples.length === 0) throw new MosInputError(`no AudioCraft sample sidecars (*.json with an "id") under ${f.dir}`);
    const latest = Math.max(...samples.map((s) => s.epoch));
    for (const s of samples.filter((x) => x.epoch === latest))
      entries.push({ id: checkName(s.id.slice(0, 100), 'sample id'), system, prompt: s.prompt, audio: s.audio });
  }
  return { name, reference, entries };
}
