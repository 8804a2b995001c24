import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pickTrials, type TrialLoad } from './assignment.js';
import { MosInputError, MosNotFoundError, MosRuleError } from './errors.js';
import { mixSeed, randomToken, seededRandom, shuffled } from './random.js';
import { isScale, type Scale } from './scales.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

export type ClipKind = 'system' | 'reference' | 'hidden_reference' | 'anchor35' | 'anchor70' | 'trap';

export interface ClipRow {
  id: number;
  publicId: string;
  setId: number;
  itemId: number;
  systemId: number | null;
  kind: ClipKind;
  sourcePath: string | null;
  playbackPath: string;
  durationS: number;
}

export interface TestRow {
  id: number;
  setId: number;
  name: string;
  scale: Scale;
  seed: number;
  trialsPerRater: number;
  trapsPerRater: number;
  openCode: string | null;
}

export interface RaterRow {
  id: number;
  testId: number;
  token: string;
  csrf: string;
  label: string | null;
}

export interface AssignmentView {
  id: number;
  position: number;
  trialId: number;
  itemId: number;
  prompt: string | null;
  completed: boolean;
  isTrap: boolean;
  /** Clips to rate, in the order shown to this rater. */
  clips: ClipRow[];
  /** MUSHRA only: the open reference, played but not rated. */
  reference: ClipRow | null;
}

export interface NewTest {
  setName: string;
  name: string;
  scale: Scale;
  seed?: number;
  trialsPerRater?: number;
  trapsPerRater?: number;
  openLink?: boolean;
}

/** One stored rating with everything statistics and export need. */
export interface RatingRecord {
  ratingId: number;
  test: string;
  raterId: number;
  raterLabel: string | null;
  itemKey: string;
  prompt: string | null;
  /** System name; for non-system clips the clip kind (trap, hidden_reference, anchor35, anchor70). */
  system: string;
  kind: ClipKind;
  isTrap: boolean;
  score: number;
  createdAt: string;
}

interface ClipDb {
  id: number;
  public_id: string;
  set_id: number;
  item_id: number;
  system_id: number | null;
  kind: ClipKind;
  source_path: string | null;
  playback_path: string;
  duration_s: number;
}

function clipOf(r: ClipDb): ClipRow {
  return {
    id: r.id,
    publicId: r.public_id,
    setId: r.set_id,
    itemId: r.item_id,
    systemId: r.system_id,
    kind: r.kind,
    sourcePath: r.source_path,
    playbackPath: r.playback_path,
    durationS: r.duration_s,
  };
}

interface TestDb {
  id: number;
  set_id: number;
  name: string;
  scale: string;
  seed: number;
  trials_per_rater: number;
  traps_per_rater: number;
  open_code: string | null;
}

function testOf(r: TestDb): TestRow {
  if (!isScale(r.scale)) throw new MosInputError(`test ${r.name} has unknown scale ${r.scale}`);
  return {
    id: r.id,
    setId: r.set_id,
    name: r.name,
    scale: r.scale,
    seed: r.seed,
    trialsPerRater: r.trials_per_rater,
    trapsPerRater: r.traps_per_rater,
    openCode: r.open_code,
  };
}

const now = (): string => new Date().toISOString();

/**
 * The listening-test database. better-sqlite3 is synchronous, so each method is one atomic step
 * of the event loop; multi-statement changes run in transactions.
 *
 * Durability: WAL with synchronous=FULL. WAL alone already survives a killed process at NORMAL;
 * FULL also fsyncs the WAL on every commit, so a rating the server acknowledged survives a power
 * loss or kernel crash too. Measured here: 3.4 ms per commit at FULL vs 0.05 ms at NORMAL, which
 * caps one server near 300 commits/s (a rated page is 3 commits: play start, play end, rating;
 * scripts/mos-load.ts reaches ~110 pages/s). Fifty humans produce a few ratings per second, so
 * the cost is irrelevant next to losing a rater's answer.
 */
export class MosStore {
  readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(file: string): MosStore {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA_SQL);
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
    if (v === undefined) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    else if (Number(v.value) !== SCHEMA_VERSION)
      throw new MosInputError(`${file} has schema version ${v.value}; this musicgen-ts reads version ${SCHEMA_VERSION}`);
    return new MosStore(db);
  }

  close(): void {
    this.db.close();
  }

  // ---- sample sets -------------------------------------------------------------------------

  createSet(name: string): number {
    const existing = this.db.prepare('SELECT id FROM sample_sets WHERE name = ?').get(name);
    if (existing) throw new MosInputError(`a sample set named "${name}" already exists; choose another --name`);
    return Number(this.db.prepare('INSERT INTO sample_sets (name, created_at) VALUES (?, ?)').run(name, now()).lastInsertRowid);
  }

  setId(name: string): number {
    const r = this.db.prepare('SELECT id FROM sample_sets WHERE name = ?').get(name) as { id: number } | undefined;
    if (!r) throw new MosNotFoundError(`no sample set named "${name}"; import one with \`musicgen mos import\``);
    return r.id;
  }

  listSets(): { id: number; name: string }[] {
    return this.db.prepare('SELECT id, name FROM sample_sets ORDER BY id').all() as { id: number; name: string }[];
  }

  addSystem(setId: number, name: string): number {
    this.db.prepare('INSERT OR IGNORE INTO systems (set_id, name) VALUES (?, ?)').run(setId, name);
    return (this.db.prepare('SELECT id FROM systems WHERE set_id = ? AND name = ?').get(setId, name) as { id: number }).id;
  }

  addItem(setId: number, key: string, prompt: string | null): number {
    this.db.prepare('INSERT OR IGNORE INTO items (set_id, key, prompt) VALUES (?, ?, ?)').run(setId, key, prompt);
    return (this.db.prepare('SELECT id FROM items WHERE set_id = ? AND key = ?').get(setId, key) as { id: number }).id;
  }

  addClip(c: Omit<ClipRow, 'id' | 'publicId'>): ClipRow {
    const publicId = randomToken(12);
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO clips (public_id, set_id, item_id, system_id, kind, source_path, playback_path, duration_s)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(publicId, c.setId, c.itemId, c.systemId, c.kind, c.sourcePath, c.playbackPath, c.durationS).lastInsertRowid,
    );
    return { ...c, id, publicId };
  }

  /** Runs `fn` in one transaction (import uses it so a failed import leaves nothing behind). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  clipByPublicId(publicId: string): ClipRow | undefined {
    const r = this.db.prepare('SELECT * FROM clips WHERE public_id = ?').get(publicId) as ClipDb | undefined;
    return r && clipOf(r);
  }

  clipsOfSet(setId: number): ClipRow[] {
    return (this.db.prepare('SELECT * FROM clips WHERE set_id = ? ORDER BY id').all(setId) as ClipDb[]).map(clipOf);
  }

  systemNames(setId: number): Map<number, string> {
    const rows = this.db.prepare('SELECT id, name FROM systems WHERE set_id = ?').all(setId) as { id: number; name: string }[];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  // ---- tests ---------------------------------------------------------------------------------

  /** Creates a test over a sample set and its trials (one per clip; MUSHRA: one per item). */
  createTest(t: NewTest): TestRow {
    return this.transaction(() => {
      const setId = this.setId(t.setName);
      if (this.db.prepare('SELECT 1 FROM tests WHERE name = ?').get(t.name))
        throw new MosInputError(`a test named "${t.name}" already exists`);
      const seed = t.seed ?? 0;
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO tests (set_id, name, scale, seed, trials_per_rater, traps_per_rater, open_code, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            setId,
            t.name,
            t.scale,
            seed,
            t.trialsPerRater ?? 8,
            t.scale === 'mushra' ? 0 : (t.trapsPerRater ?? 1),
            t.openLink ? randomToken(18) : null,
            now(),
          ).lastInsertRowid,
      );
      const clips = this.clipsOfSet(setId);
      const addTrial = this.db.prepare('INSERT INTO trials (test_id, item_id, clip_id, is_trap) VALUES (?, ?, ?, ?)');
      if (t.scale === 'mushra') {
        const items = new Set(clips.filter((c) => c.kind === 'reference').map((c) => c.itemId));
        if (items.size === 0)
          throw new MosInputError(`MUSHRA needs a reference per item; set "${t.setName}" has none (see docs/MOS.md)`);
        for (const itemId of items) addTrial.run(id, itemId, null, 0);
      } else {
        for (const c of clips) {
          if (c.kind === 'system') addTrial.run(id, c.itemId, c.id, 0);
          else if (c.kind === 'trap') addTrial.run(id, c.itemId, c.id, 1);
        }
      }
      return this.testById(id);
    });
  }

  testById(id: number): TestRow {
    const r = this.db.prepare('SELECT * FROM tests WHERE id = ?').get(id) as TestDb | undefined;
    if (!r) throw new MosNotFoundError(`no test with id ${id}`);
    return testOf(r);
  }

  testByName(name: string): TestRow {
    const r = this.db.prepare('SELECT * FROM tests WHERE name = ?').get(name) as TestDb | undefined;
    if (!r) throw new MosNotFoundError(`no test named "${name}"; list tests on the admin page`);
    return testOf(r);
  }

  testByOpenCode(code: string): TestRow | undefined {
    const r = this.db.prepare('SELECT * FROM tests WHERE open_code = ?').get(code) as TestDb | undefined;
    return r && testOf(r);
  }

  listTests(): TestRow[] {
    return (this.db.prepare('SELECT * FROM tests ORDER BY id').all() as TestDb[]).map(testOf);
  }

  // ---- raters and assignments ------------------------------------------------------------

  createRater(testId: number, label: string | null = null): RaterRow {
    const token = randomToken();
    const csrf = randomToken();
    const id = Number(
      this.db
        .prepare('INSERT INTO raters (test_id, token, csrf, label, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(testId, token, csrf, label, now()).lastInsertRowid,
    );
    return { id, testId, token, csrf, label };
  }

  raterByToken(token: string): RaterRow | undefined {
    const r = this.db.prepare('SELECT id, test_id, token, csrf, label FROM raters WHERE token = ?').get(token) as
      | { id: number; test_id: number; token: string; csrf: string; label: string | null }
      | undefined;
    return r && { id: r.id, testId: r.test_id, token: r.token, csrf: r.csrf, label: r.label };
  }

  /**
   * Gives the rater a new batch of trials (balanced: least-rated first, no repeats). Returns
   * how many were added: 0 when the rater still has an unrated page (one open batch at a time, so
   * repeated or concurrent requests cannot pile up pages) or has seen every system page.
   */
  assignBatch(raterId: number): number {
    return this.transaction(() => {
      const rater = this.db.prepare('SELECT test_id FROM raters WHERE id = ?').get(raterId) as { test_id: number } | undefined;
      if (!rater) throw new MosNotFoundError(`no rater ${raterId}`);
      if (this.db.prepare('SELECT 1 FROM assignments WHERE rater_id = ? AND completed_at IS NULL LIMIT 1').get(raterId)) return 0;
      const test = this.testById(rater.test_id);
      const loads = (
        this.db
          .prepare(
            `SELECT t.id AS trialId, t.is_trap AS isTrap, COUNT(a.id) AS assigned, COUNT(a.completed_at) AS rated
             FROM trials t LEFT JOIN assignments a ON a.trial_id = t.id
             WHERE t.test_id = ? GROUP BY t.id ORDER BY t.id`,
          )
          .all(test.id) as { trialId: number; isTrap: number; assigned: number; rated: number }[]
      ).map((r): TrialLoad => ({ trialId: r.trialId, isTrap: r.isTrap === 1, assigned: r.assigned, rated: r.rated }));
      const mine = this.db.prepare('SELECT trial_id, position FROM assignments WHERE rater_id = ?').all(raterId) as {
        trial_id: number;
        position: number;
      }[];
      const batchNo = mine.length === 0 ? 0 : Math.max(...mine.map((m) => m.position)) + 1;
      const rand = seededRandom(mixSeed(test.seed, raterId, batchNo));
      const picked = pickTrials(loads, new Set(mine.map((m) => m.trial_id)), test.trialsPerRater, test.trapsPerRater, rand);
      const ins = this.db.prepare('INSERT INTO assignments (rater_id, trial_id, position, created_at) VALUES (?, ?, ?, ?)');
      picked.forEach((trialId, i) => ins.run(raterId, trialId, batchNo + i, now()));
      return picked.length;
    });
  }

  /** System (non-trap) trials of the rater's test not yet given to them. */
  remainingFor(rater: RaterRow): number {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM trials t WHERE t.test_id = ? AND t.is_trap = 0
         AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.trial_id = t.id AND a.rater_id = ?)`,
      )
      .get(rater.testId, rater.id) as { n: number };
    return r.n;
  }

  /** The rater's assignments in order, with clips in the (seeded, per rater) order shown. */
  assignmentsOf(rater: RaterRow): AssignmentView[] {
    const test = this.testById(rater.testId);
    const rows = this.db
      .prepare(
        `SELECT a.id, a.position, a.trial_id, a.completed_at, t.item_id, t.clip_id, t.is_trap, i.prompt
         FROM assignments a JOIN trials t ON t.id = a.trial_id JOIN items i ON i.id = t.item_id
         WHERE a.rater_id = ? ORDER BY a.position`,
      )
      .all(rater.id) as {
      id: number;
      position: number;
      trial_id: number;
      completed_at: string | null;
      item_id: number;
      clip_id: number | null;
      is_trap: number;
      prompt: string | null;
    }[];
    const clipById = this.db.prepare('SELECT * FROM clips WHERE id = ?');
    const clipsOfItem = this.db.prepare('SELECT * FROM clips WHERE item_id = ? ORDER BY id');
    return rows.map((r) => {
      let clips: ClipRow[];
      let reference: ClipRow | null = null;
      if (r.clip_id !== null) {
        clips = [clipOf(clipById.get(r.clip_id) as ClipDb)];
      } else {
        const all = (clipsOfItem.all(r.item_id) as ClipDb[]).map(clipOf);
        reference = all.find((c) => c.kind === 'reference') ?? null;
        const rated = all.filter((c) => c.kind !== 'reference' && c.kind !== 'trap');
        clips = shuffled(rated, seededRandom(mixSeed(test.seed, rater.id, r.trial_id)));
      }
      return {
        id: r.id,
        position: r.position,
        trialId: r.trial_id,
        itemId: r.item_id,
        prompt: r.prompt,
        completed: r.completed_at !== null,
        isTrap: r.is_trap === 1,
        clips,
        reference,
      };
    });
  }

  /** Whether the rater may fetch this clip (it belongs to one of their assignments). */
  raterMayHear(rater: RaterRow, clip: ClipRow): boolean {
    return this.assignmentsOf(rater).some((a) => a.clips.some((c) => c.id === clip.id) || a.reference?.id === clip.id);
  }

  // ---- playback and ratings -------------------------------------------------------------

  /**
   * Records when playback of a clip first started. Later starts (replays, a second try after
   * skipping) keep the first time: the listening played since then is what the clock bounds.
   */
  playStarted(assignmentId: number, clipId: number, atMs: number): void {
    this.db
      .prepare(`INSERT INTO plays (assignment_id, clip_id, started_ms) VALUES (?, ?, ?) ON CONFLICT (assignment_id, clip_id) DO NOTHING`)
      .run(assignmentId, clipId, atMs);
  }

  /**
   * Records that the clip was heard. Accepted only if its first start was recorded at least
   * `minListenMs` earlier: the server's own clock decides, not the client. (The route checks the
   * page's played ranges first, see listening.ts.)
   */
  playEnded(assignmentId: number, clipId: number, atMs: number, minListenMs: number): void {
    const p = this.db.prepare('SELECT started_ms, ended_ms FROM plays WHERE assignment_id = ? AND clip_id = ?').get(assignmentId, clipId) as
      | { started_ms: number; ended_ms: number | null }
      | undefined;
    if (!p) throw new MosRuleError('playback end reported without a start; play the clip from the beginning');
    if (p.ended_ms !== null) return;
    if (atMs - p.started_ms < minListenMs)
      throw new MosRuleError('the clip cannot have played to the end yet; listen to the whole clip');
    this.db.prepare('UPDATE plays SET ended_ms = ? WHERE assignment_id = ? AND clip_id = ?').run(atMs, assignmentId, clipId);
  }

  /** Clips of an assignment whose playback end was accepted (so a reloaded page can show them heard). */
  heardClips(assignmentId: number): Set<number> {
    const rows = this.db.prepare('SELECT clip_id FROM plays WHERE assignment_id = ? AND ended_ms IS NOT NULL').all(assignmentId) as {
      clip_id: number;
    }[];
    return new Set(rows.map((r) => r.clip_id));
  }

  /** Stores the scores of one assignment atomically; every listed clip must have played to the end. */
  saveRatings(assignmentId: number, scores: ReadonlyMap<number, number>): void {
    this.transaction(() => {
      const a = this.db.prepare('SELECT completed_at FROM assignments WHERE id = ?').get(assignmentId) as
        | { completed_at: string | null }
        | undefined;
      if (!a) throw new MosNotFoundError('no such assignment');
      if (a.completed_at !== null) throw new MosRuleError('this page was already rated');
      const ended = this.db.prepare('SELECT ended_ms FROM plays WHERE assignment_id = ? AND clip_id = ?');
      const ins = this.db.prepare('INSERT INTO ratings (assignment_id, clip_id, score, created_at) VALUES (?, ?, ?, ?)');
      const at = now();
      for (const [clipId, score] of scores) {
        const p = ended.get(assignmentId, clipId) as { ended_ms: number | null } | undefined;
        if (!p || p.ended_ms === null) throw new MosRuleError('rate a clip only after it played to the end');
        ins.run(assignmentId, clipId, score, at);
      }
      this.db.prepare('UPDATE assignments SET completed_at = ? WHERE id = ?').run(at, assignmentId);
    });
  }

  /** Every rating of a test, joined with what statistics and export need. */
  ratingsOf(testId: number): RatingRecord[] {
    const rows = this.db
      .prepare(
        `SELECT r.id AS ratingId, te.name AS test, ra.id AS raterId, ra.label AS raterLabel, i.key AS itemKey,
                i.prompt AS prompt, COALESCE(s.name, c.kind) AS system, c.kind AS kind, t.is_trap AS isTrap,
                r.score AS score, r.created_at AS createdAt
         FROM ratings r
         JOIN assignments a ON a.id = r.assignment_id
         JOIN trials t ON t.id = a.trial_id
         JOIN tests te ON te.id = t.test_id
         JOIN raters ra ON ra.id = a.rater_id
         JOIN clips c ON c.id = r.clip_id
         JOIN items i ON i.id = c.item_id
         LEFT JOIN systems s ON s.id = c.system_id
         WHERE t.test_id = ? ORDER BY r.id`,
      )
      .all(testId) as (Omit<RatingRecord, 'isTrap'> & { isTrap: number })[];
    return rows.map((r) => ({ ...r, isTrap: r.isTrap === 1 || r.kind === 'trap' }));
  }

  countRaters(testId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM raters WHERE test_id = ?').get(testId) as { n: number }).n;
  }

  countRatings(testId?: number): number {
    const r = (
      testId === undefined
        ? this.db.prepare('SELECT COUNT(*) AS n FROM ratings').get()
        : this.db
            .prepare('SELECT COUNT(*) AS n FROM ratings r JOIN assignments a ON a.id = r.assignment_id JOIN trials t ON t.id = a.trial_id WHERE t.test_id = ?')
            .get(testId)
    ) as { n: number };
    return r.n;
  }
}
