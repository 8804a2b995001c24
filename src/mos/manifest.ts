import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { MosInputError } from './errors.js';
import { checkName, type SetSpec } from './setSpec.js';

const MAX_ENTRIES = 100_000;

/**
 * Reads a sweep manifest (format in docs/MOS.md):
 * `{ "name": "...", "reference"?: "system", "items": [{ "id", "system", "prompt"?, "audio" }] }`.
 * Relative audio paths are resolved against the manifest's folder.
 */
export function readManifest(file: string): SetSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MosInputError(`cannot read manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseManifest(doc, dirname(resolve(file)), file);
}

export function parseManifest(doc: unknown, baseDir: string, what = 'manifest'): SetSpec {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new MosInputError(`${what}: expected a JSON object`);
  const m = doc as Record<string, unknown>;
  const name = checkName(m.name, `${what}: "name"`);
  const reference = m.reference === undefined || m.reference === null ? null : checkName(m.reference, `${what}: "reference"`);
  if (!Array.isArray(m.items) || m.items.length === 0) throw new MosInputError(`${what}: "items" must be a non-empty array`);
  if (m.items.length > MAX_ENTRIES) throw new MosInputError(`${what}: more than ${MAX_ENTRIES} items`);
  const entries = m.items.map((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null) throw new MosInputError(`${what}: items[${i}] must be an object`);
    const it = raw as Record<string, unknown>;
    const id = checkName(it.id, `${what}: items[${i}].id`);
    const system = checkName(it.system, `${what}: items[${i}].system`);
    if (it.prompt !== undefined && it.prompt !== null && (typeof it.prompt !== 'string' || it.prompt.length > 2000))
      throw new MosInputError(`${what}: items[${i}].prompt must be a string of at most 2000 characters`);
    if (typeof it.audio !== 'string' || it.audio.length === 0)
      throw new MosInputError(`${what}: items[${i}].audio must be the path of an audio file`);
    return {
      id,
      system,
      prompt: typeof it.prompt === 'string' ? it.prompt : null,
      audio: isAbsolute(it.audio) ? it.audio : resolve(baseDir, it.audio),
    };
  });
  return { name, reference, entries };
}
