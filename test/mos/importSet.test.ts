import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loudness } from '../../src/audio/loudness.js';
import { MosInputError } from '../../src/mos/errors.js';
import { importAudiocraftFolders, importManifest } from '../../src/mos/importSet.js';
import { MosStore } from '../../src/mos/store.js';
import { readAudio } from '../../src/audio/read.js';
import { tonePower, writeTone } from './audioFixture.js';
import { tempDir } from './storeFixture.js';

const stores: MosStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('importManifest', () => {
  it('prepares 48 kHz loudness-matched playback files, anchors and traps, cached, originals untouched', async () => {
    const dir = tempDir();
    // Different rates and levels: 32 kHz quiet, 44.1 kHz loud stereo, reference at 48 kHz.
    writeTone(join(dir, 'a/p0.wav'), { sampleRate: 32000, amp: 0.05, freqs: [440, 5000] });
    writeTone(join(dir, 'b/p0.wav'), { sampleRate: 44100, amp: 0.3, channels: 2, freqs: [440, 5000] });
    writeTone(join(dir, 'ref/p0.wav'), { sampleRate: 48000, amp: 0.2, freqs: [440, 5000] });
    writeTone(join(dir, 'a/p1.wav'), { sampleRate: 32000, amp: 0.1 });
    writeTone(join(dir, 'b/p1.wav'), { sampleRate: 32000, amp: 0.1, freqs: [550] });
    writeTone(join(dir, 'ref/p1.wav'), { sampleRate: 32000, amp: 0.1, freqs: [660] });
    writeTone(join(dir, 'a/p2.wav'), { sampleRate: 32000 }); // only system a: dropped
    const items = ['p0', 'p1'].flatMap((id) =>
      ['a', 'b', 'ref'].map((system) => ({ id, system, prompt: `prompt ${id}`, audio: `${system}/${id}.wav` })),
    );
    items.push({ id: 'p2', system: 'a', prompt: 'x', audio: join(dir, 'a/p2.wav') }); // absolute path allowed
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'sweep', reference: 'ref', items }));
    const before = sha(join(dir, 'b/p0.wav'));

    const store = MosStore.open(join(dir, 'mos.db'));
    stores.push(store);
    const cacheDir = join(dir, 'cache');
    const summary = await importManifest(store, join(dir, 'manifest.json'), { cacheDir, seed: 1 });
    expect(summary).toMatchObject({ set: 'sweep', systems: ['a', 'b'], reference: 'ref', items: 2, dropped: ['p2'], cached: 2 });
    // (the two cached files are the hidden references: same audio as the open reference)
    // Per item: 2 systems + reference + hidden reference + 2 anchors + trap.
    expect(summary.clips).toBe(14);
    expect(sha(join(dir, 'b/p0.wav'))).toBe(before);

    const clips = store.clipsOfSet(summary.setId);
    for (const c of clips) {
      expect(c.playbackPath.startsWith(cacheDir)).toBe(true);
      const audio = await readAudio(c.playbackPath);
      expect(audio.sampleRate).toBe(48000);
      expect(c.durationS).toBeCloseTo(1, 2);
      if (c.kind !== 'trap') expect(loudness(audio.channels, 48000)).toBeCloseTo(-23, 0);
    }
    const p0 = store.db.prepare("SELECT id FROM items WHERE key = 'p0'").get() as { id: number };
    const ofKind = async (kind: string) => {
      const c = clips.find((x) => x.itemId === p0.id && x.kind === kind);
      if (!c) throw new Error(kind);
      return (await readAudio(c.playbackPath)).channels[0];
    };
    const ref = await ofKind('reference');
    const a35 = await ofKind('anchor35');
    const a70 = await ofKind('anchor70');
    // 5 kHz survives the 7 kHz anchor, not the 3.5 kHz one; 440 Hz survives both.
    const ratio = (x: Float32Array) => tonePower(x, 48000, 5000) / tonePower(x, 48000, 440);
    expect(ratio(ref)).toBeGreaterThan(0.5);
    expect(ratio(a70)).toBeGreaterThan(0.5);
    expect(ratio(a35)).toBeLessThan(1e-4);
    // The trap is clearly degraded: band-limited, noisy, with silent dropouts of ~120 ms.
    const trap = await ofKind('trap');
    expect(ratio(trap)).toBeLessThan(1e-3);
    let run = 0;
    let longest = 0;
    for (const v of trap) {
      run = v === 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest / 48000).toBeGreaterThan(0.1);
    // The hidden reference plays the reference file under another public id.
    const hidden = clips.find((x) => x.itemId === p0.id && x.kind === 'hidden_reference');
    const open = clips.find((x) => x.itemId === p0.id && x.kind === 'reference');
    expect(hidden?.playbackPath).toBe(open?.playbackPath);
    expect(hidden?.publicId).not.toBe(open?.publicId);

    // Importing the same audio again under another name reuses every cached file.
    writeFileSync(join(dir, 'manifest2.json'), JSON.stringify({ name: 'sweep2', reference: 'ref', items }));
    const again = await importManifest(store, join(dir, 'manifest2.json'), { cacheDir, seed: 1 });
    expect(again.cached).toBe(again.clips);
  });

  it('rejects malformed manifests with a message naming the field', async () => {
    const dir = tempDir();
    const store = MosStore.open(join(dir, 'mos.db'));
    stores.push(store);
    const bad = [
      [{ items: [] }, /"name"/],
      [{ name: 'x', items: [] }, /"items"/],
      [{ name: 'x', items: [{ id: '../etc', system: 'a', audio: 'a.wav' }] }, /items\[0\]\.id/],
      [{ name: '<script>', items: [{ id: 'a', system: 'a', audio: 'a.wav' }] }, /"name"/],
      [{ name: 'x', items: [{ id: 'a', system: 'a', audio: 'missing.wav' }] }, /cannot read audio/],
    ] as const;
    for (const [doc, msg] of bad) {
      writeFileSync(join(dir, 'm.json'), JSON.stringify(doc));
      const err = await importManifest(store, join(dir, 'm.json'), { cacheDir: join(dir, 'c') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MosInputError);
      expect(String(err)).toMatch(msg);
    }
    expect(store.listSets()).toEqual([]); // nothing half-imported
  });
});

describe('importAudiocraftFolders', () => {
  it('reads the latest epoch of each samples folder and matches samples across systems by id', async () => {
    const dir = tempDir();
    const sample = (xp: string, epoch: number, id: string, description: string) => {
      const stem = join(dir, xp, 'samples', String(epoch), id);
      writeTone(`${stem}.wav`, { seconds: 0.5 });
      mkdirSync(join(dir, xp, 'samples', String(epoch)), { recursive: true });
      writeFileSync(
        `${stem}.json`,
        JSON.stringify({ id, path: `/checkpoint/elsewhere/${id}.wav`, epoch, duration: 0.5, conditioning: { description }, prompt: null, reference: null }),
      );
    };
    sample('xpA', 10, 'old_only', 'stale');
    sample('xpA', 20, 'abc_unprompted_description=rock', 'rock');
    sample('xpA', 20, 'def_unprompted_description=jazz', 'jazz');
    sample('xpB', 5, 'abc_unprompted_description=rock', 'rock');
    sample('xpB', 5, 'def_unprompted_description=jazz', 'jazz');
    sample('xpB', 5, 'zzz_only_b', 'b');
    const store = MosStore.open(join(dir, 'mos.db'));
    stores.push(store);
    const s = await importAudiocraftFolders(
      store,
      'xps',
      [
        { system: 'small', dir: join(dir, 'xpA', 'samples') },
        { system: 'medium', dir: join(dir, 'xpB', 'samples') },
      ],
      null,
      { cacheDir: join(dir, 'cache'), traps: false },
    );
    expect(s).toMatchObject({ systems: ['medium', 'small'], items: 2, clips: 4, dropped: ['zzz_only_b'] });
    const prompts = store.db.prepare('SELECT key, prompt FROM items ORDER BY key').all();
    expect(prompts).toEqual([
      { key: 'abc_unprompted_description=rock', prompt: 'rock' },
      { key: 'def_unprompted_description=jazz', prompt: 'jazz' },
    ]);
  });
});
