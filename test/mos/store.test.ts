import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pickTrials } from '../../src/mos/assignment.js';
import { MosRuleError } from '../../src/mos/errors.js';
import { seededRandom } from '../../src/mos/random.js';
import { MosStore } from '../../src/mos/store.js';
import { fakeSet, tempDir } from './storeFixture.js';

const open: MosStore[] = [];
function store(file = join(tempDir(), 'mos.db')): MosStore {
  const s = MosStore.open(file);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) if (s.db.open) s.close();
});

describe('MosStore', () => {
  it('opens in WAL mode with synchronous=FULL', () => {
    const s = store();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('balances assignments: least-assigned first, no repeats, traps mixed in', () => {
    const s = store();
    fakeSet(s, 'set', 4, ['A', 'B']); // 8 system clips + 4 traps
    const test = s.createTest({ setName: 'set', name: 't', scale: 'acr', trialsPerRater: 4, trapsPerRater: 1, seed: 3 });
    const raters = [0, 1, 2, 3].map(() => s.createRater(test.id));
    for (const r of raters) expect(s.assignBatch(r.id)).toBe(5);
    // 4 raters x 4 regular = 16 over 8 clips: every clip exactly twice.
    const perClip = new Map<number, number>();
    for (const r of raters)
      for (const a of s.assignmentsOf(r)) if (!a.isTrap) perClip.set(a.clips[0].id, (perClip.get(a.clips[0].id) ?? 0) + 1);
    expect([...perClip.values()]).toEqual(Array(8).fill(2));
    // One open batch at a time: nothing more while a page is unrated.
    const r0 = raters[0];
    expect(s.assignBatch(r0.id)).toBe(0);
    const finish = () => s.db.prepare('UPDATE assignments SET completed_at = ? WHERE rater_id = ?').run('x', r0.id);
    finish();
    // The second batch never repeats a trial; then no system page is left and traps alone are
    // never handed out (4 traps exist, 2 were used).
    expect(s.assignBatch(r0.id)).toBe(5);
    finish();
    expect(s.remainingFor(r0)).toBe(0);
    expect(s.assignBatch(r0.id)).toBe(0);
    const trials = s.assignmentsOf(r0).map((a) => a.trialId);
    expect(new Set(trials).size).toBe(10);
    expect(s.assignmentsOf(r0).filter((a) => a.isTrap)).toHaveLength(2);
  });

  it('prefers least-rated trials, then least-assigned ones', () => {
    const loads = [
      { trialId: 1, isTrap: false, rated: 2, assigned: 2 },
      { trialId: 2, isTrap: false, rated: 0, assigned: 5 }, // handed out often, never finished
      { trialId: 3, isTrap: false, rated: 1, assigned: 1 },
      { trialId: 4, isTrap: false, rated: 0, assigned: 1 },
    ];
    for (let seed = 0; seed < 5; seed++) expect(pickTrials(loads, new Set([4]), 2, 0, seededRandom(seed)).sort()).toEqual([2, 3]);
  });

  it('shuffles order per rater (seeded, reproducible)', () => {
    const loads = Array.from({ length: 20 }, (_, i) => ({ trialId: i, isTrap: false, assigned: 0, rated: 0 }));
    const a = pickTrials(loads, new Set(), 20, 0, seededRandom(1));
    const b = pickTrials(loads, new Set(), 20, 0, seededRandom(1));
    const c = pickTrials(loads, new Set(), 20, 0, seededRandom(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(loads.map((l) => l.trialId));
  });

  it('MUSHRA trials hold system clips, hidden reference and both anchors, not the open reference', () => {
    const s = store();
    fakeSet(s, 'set', 2, ['A', 'B']);
    const test = s.createTest({ setName: 'set', name: 'm', scale: 'mushra', trialsPerRater: 2 });
    const r = s.createRater(test.id);
    s.assignBatch(r.id);
    const [a] = s.assignmentsOf(r);
    expect(a.clips.map((c) => c.kind).sort()).toEqual(['anchor35', 'anchor70', 'hidden_reference', 'system', 'system']);
    expect(a.reference?.kind).toBe('reference');
  });

  it('accepts a rating only after playback ended, timed by the server', () => {
    const s = store();
    fakeSet(s);
    const test = s.createTest({ setName: 'set', name: 't', scale: 'acr' });
    const r = s.createRater(test.id);
    s.assignBatch(r.id);
    const [a] = s.assignmentsOf(r);
    const clip = a.clips[0].id;
    expect(() => s.saveRatings(a.id, new Map([[clip, 4]]))).toThrow(MosRuleError);
    expect(() => s.playEnded(a.id, clip, 1000, 900)).toThrow(/without a start/);
    s.playStarted(a.id, clip, 1000);
    expect(() => s.playEnded(a.id, clip, 1500, 900)).toThrow(/cannot have played/);
    s.playEnded(a.id, clip, 1950, 900);
    s.saveRatings(a.id, new Map([[clip, 4]]));
    expect(() => s.saveRatings(a.id, new Map([[clip, 5]]))).toThrow(/already rated/);
    expect(s.ratingsOf(test.id).map((x) => x.score)).toEqual([4]);
  });

  it('loses no acknowledged rating when the writing process is killed with SIGKILL', async () => {
    const file = join(tempDir(), 'kill.db');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'storeWriterChild.ts'), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
        if (acked.length >= 40) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    const s = store(file);
    const test = s.testByName('t');
    const stored = new Set(s.ratingsOf(test.id).map((x) => x.ratingId));
    expect(acked.length).toBeGreaterThanOrEqual(40);
    for (const id of acked) expect(stored.has(id)).toBe(true);
  });
});
