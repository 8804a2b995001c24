import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MosStore } from '../../src/mos/store.js';

/** A temporary directory for one test file. */
export function tempDir(prefix = 'mos-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A store with one set of `items` items x `systems` systems (fake playback paths, 1 s clips),
 * one trap per item and a reference per item, so every scale can be created on it.
 */
export function fakeSet(store: MosStore, name = 'set', items = 4, systems = ['A', 'B']): void {
  store.transaction(() => {
    const setId = store.createSet(name);
    const sys = systems.map((s) => store.addSystem(setId, s));
    for (let i = 0; i < items; i++) {
      const itemId = store.addItem(setId, `item${i}`, `prompt ${i}`);
      const clip = (systemId: number | null, kind: Parameters<MosStore['addClip']>[0]['kind']) =>
        store.addClip({ setId, itemId, systemId, kind, sourcePath: null, playbackPath: `/nonexistent/${i}.wav`, durationS: 1 });
      sys.forEach((s) => clip(s, 'system'));
      clip(null, 'trap');
      clip(null, 'reference');
      clip(null, 'hidden_reference');
      clip(null, 'anchor35');
      clip(null, 'anchor70');
    }
  });
}
