import { MosInputError } from './errors.js';

/** One audio file of a sample set: sample `id` as produced by `system`. */
export interface SetEntry {
  id: string;
  system: string;
  prompt: string | null;
  /** Absolute path of the original audio (read once at import, never served). */
  audio: string;
}

/** A sample set before import, whatever it was described by (manifest or AudioCraft folders). */
export interface SetSpec {
  name: string;
  /** System whose clips are the MUSHRA reference (imported as reference, not rated as a system). */
  reference: string | null;
  entries: SetEntry[];
}

export interface MatchedSet {
  spec: SetSpec;
  /** Ids dropped because some system lacks them. */
  dropped: string[];
}

/**
 * Keeps only sample ids every system has (AudioCraft's samples manager matches across
 * experiments the same way), so paired comparisons see complete items.
 */
export function matchAcrossSystems(spec: SetSpec): MatchedSet {
  const systems = [...new Set(spec.entries.map((e) => e.system))];
  if (systems.length === 0) throw new MosInputError(`sample set "${spec.name}" has no audio`);
  const seen = new Set<string>();
  for (const e of spec.entries) {
    const k = `${e.system}\u0000${e.id}`;
    if (seen.has(k)) throw new MosInputError(`sample "${e.id}" appears twice for system "${e.system}"`);
    seen.add(k);
  }
  const ids = [...new Set(spec.entries.map((e) => e.id))];
  const complete = ids.filter((id) => systems.every((s) => seen.has(`${s}\u0000${id}`)));
  if (complete.length === 0)
    throw new MosInputError(`no sample id is present for all systems (${systems.join(', ')}); check the ids match`);
  const keep = new Set(complete);
  if (spec.reference !== null && !systems.includes(spec.reference))
    throw new MosInputError(`reference system "${spec.reference}" is not among the systems (${systems.join(', ')})`);
  return {
    spec: { ...spec, entries: spec.entries.filter((e) => keep.has(e.id)) },
    dropped: ids.filter((id) => !keep.has(id)),
  };
}

const NAME = /^[\p{L}\p{N}_.:=+ -]{1,100}$/u;

/** Names shown on the admin page and in exports: printable, short, no markup. */
export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new MosInputError(`${what} must be 1-100 letters, digits, spaces or _ . : = + - (got ${JSON.stringify(value)})`);
  return value;
}
