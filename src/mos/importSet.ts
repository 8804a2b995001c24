import { resolve } from 'node:path';
import { readAudiocraftFolders, type SamplesFolder } from './audiocraftSamples.js';
import { readManifest } from './manifest.js';
import { DEFAULT_TARGET_LUFS, preparePlayback, type PlaybackFile, type PlaybackVariant } from './playback.js';
import { mixSeed, seededRandom } from './random.js';
import { matchAcrossSystems, type SetEntry, type SetSpec } from './setSpec.js';
import type { ClipKind, MosStore } from './store.js';

export interface ImportOptions {
  /** Where playback files go (default: beside the database, `<db>.playback/`). */
  cacheDir: string;
  targetLufs?: number;
  /** Seed of trap selection and trap noise. */
  seed?: number;
  /** Make one trap clip per item (default true). */
  traps?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportSummary {
  set: string;
  setId: number;
  systems: string[];
  reference: string | null;
  items: number;
  clips: number;
  /** Playback files reused from the cache. */
  cached: number;
  /** Sample ids dropped because a system lacks them. */
  dropped: string[];
}

interface PlannedClip {
  itemKey: string;
  system: string | null;
  kind: ClipKind;
  entry: SetEntry;
  variant: PlaybackVariant;
  seed: number;
}

/** What to render for every item: system clips, reference + hidden reference + anchors, a trap. */
function plan(spec: SetSpec, seed: number, traps: boolean): PlannedClip[] {
  const ids = [...new Set(spec.entries.map((e) => e.id))].sort();
  const out: PlannedClip[] = [];
  ids.forEach((id, i) => {
    const mine = spec.entries.filter((e) => e.id === id).sort((a, b) => a.system.localeCompare(b.system));
    const rated = mine.filter((e) => e.system !== spec.reference);
    for (const e of rated) out.push({ itemKey: id, system: e.system, kind: 'system', entry: e, variant: 'plain', seed: 0 });
    const ref = mine.find((e) => e.system === spec.reference);
    if (ref) {
      out.push({ itemKey: id, system: null, kind: 'reference', entry: ref, variant: 'plain', seed: 0 });
      out.push({ itemKey: id, system: null, kind: 'hidden_reference', entry: ref, variant: 'plain', seed: 0 });
      out.push({ itemKey: id, system: null, kind: 'anchor35', entry: ref, variant: 'anchor35', seed: 0 });
      out.push({ itemKey: id, system: null, kind: 'anchor70', entry: ref, variant: 'anchor70', seed: 0 });
    }
    if (traps && rated.length) {
      const s = mixSeed(seed, i);
      const from = rated[Math.floor(seededRandom(s)() * rated.length)];
      out.push({ itemKey: id, system: null, kind: 'trap', entry: from, variant: 'trap', seed: s });
    }
  });
  return out;
}

/**
 * Imports a sample set: matches samples across systems by id, renders every playback file (48 kHz,
 * loudness-matched, cached), then registers set, systems, items and clips in one transaction.
 * Originals are only read.
 */
export async function importSet(store: MosStore, spec: SetSpec, opts: ImportOptions): Promise<ImportSummary> {
  const { spec: matched, dropped } = matchAcrossSystems(spec);
  const seed = opts.seed ?? 0;
  const planned = plan(matched, seed, opts.traps ?? true);
  const files: PlaybackFile[] = [];
  // One file at a time: rendering is CPU bound and the machine is shared.
  for (const p of planned) {
    files.push(
      await preparePlayback(p.entry.audio, {
        cacheDir: resolve(opts.cacheDir),
        targetLufs: opts.targetLufs ?? DEFAULT_TARGET_LUFS,
        variant: p.variant,
        seed: p.seed,
      }),
    );
    opts.onProgress?.(files.length, planned.length);
  }
  const systems = [...new Set(matched.entries.map((e) => e.system))].filter((s) => s !== matched.reference).sort();
  const setId = store.transaction(() => {
    const setId = store.createSet(matched.name);
    const systemIds = new Map(systems.map((s) => [s, store.addSystem(setId, s)]));
    const itemIds = new Map<string, number>();
    planned.forEach((p, i) => {
      let itemId = itemIds.get(p.itemKey);
      if (itemId === undefined) {
        const prompt = matched.entries.find((e) => e.id === p.itemKey && e.prompt !== null)?.prompt ?? null;
        itemId = store.addItem(setId, p.itemKey, prompt);
        itemIds.set(p.itemKey, itemId);
      }
      store.addClip({
        setId,
        itemId,
        systemId: p.system === null ? null : (systemIds.get(p.system) ?? null),
        kind: p.kind,
        sourcePath: p.entry.audio,
        playbackPath: files[i].path,
        durationS: files[i].durationS,
      });
    });
    return setId;
  });
  return {
    set: matched.name,
    setId,
    systems,
    reference: matched.reference,
    items: new Set(planned.map((p) => p.itemKey)).size,
    clips: planned.length,
    cached: files.filter((f) => f.cached).length,
    dropped,
  };
}

export async function importManifest(store: MosStore, manifestFile: string, opts: ImportOptions): Promise<ImportSummary> {
  return importSet(store, readManifest(manifestFile), opts);
}

export async function importAudiocraftFolders(
  store: MosStore,
  name: string,
  folders: readonly SamplesFolder[],
  reference: string | null,
  opts: ImportOptions,
): Promise<ImportSummary> {
  return importSet(store, readAudiocraftFolders(name, folders, reference), opts);
}
