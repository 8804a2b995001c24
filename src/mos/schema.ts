/**
 * SQLite schema of the listening-test database. Clips carry a random public id: raters and URLs
 * only ever see that id, never a path or a sequential number that would reveal the system.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sample_sets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS systems (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sample_sets(id),
  name TEXT NOT NULL,
  UNIQUE (set_id, name)
);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sample_sets(id),
  key TEXT NOT NULL,
  prompt TEXT,
  UNIQUE (set_id, key)
);
CREATE TABLE IF NOT EXISTS clips (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  set_id INTEGER NOT NULL REFERENCES sample_sets(id),
  item_id INTEGER NOT NULL REFERENCES items(id),
  system_id INTEGER REFERENCES systems(id),
  kind TEXT NOT NULL CHECK (kind IN ('system','reference','hidden_reference','anchor35','anchor70','trap')),
  source_path TEXT,
  playback_path TEXT NOT NULL,
  duration_s REAL NOT NULL CHECK (duration_s > 0)
);
CREATE INDEX IF NOT EXISTS clips_item ON clips(item_id);
CREATE TABLE IF NOT EXISTS tests (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sample_sets(id),
  name TEXT NOT NULL UNIQUE,
  scale TEXT NOT NULL CHECK (scale IN ('acr','ovl','rel','mushra')),
  seed INTEGER NOT NULL,
  trials_per_rater INTEGER NOT NULL CHECK (trials_per_rater > 0),
  traps_per_rater INTEGER NOT NULL CHECK (traps_per_rater >= 0),
  open_code TEXT UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY,
  test_id INTEGER NOT NULL REFERENCES tests(id),
  item_id INTEGER NOT NULL REFERENCES items(id),
  clip_id INTEGER REFERENCES clips(id),
  is_trap INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS trials_test ON trials(test_id);
CREATE TABLE IF NOT EXISTS raters (
  id INTEGER PRIMARY KEY,
  test_id INTEGER NOT NULL REFERENCES tests(id),
  token TEXT NOT NULL UNIQUE,
  csrf TEXT NOT NULL,
  label TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
  id INTEGER PRIMARY KEY,
  rater_id INTEGER NOT NULL REFERENCES raters(id),
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  position INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  completed_at TEXT,
  UNIQUE (rater_id, trial_id),
  UNIQUE (rater_id, position)
);
CREATE INDEX IF NOT EXISTS assignments_trial ON assignments(trial_id);
CREATE TABLE IF NOT EXISTS plays (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  clip_id INTEGER NOT NULL REFERENCES clips(id),
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  PRIMARY KEY (assignment_id, clip_id)
);
CREATE TABLE IF NOT EXISTS ratings (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  clip_id INTEGER NOT NULL REFERENCES clips(id),
  score REAL NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (assignment_id, clip_id)
);
`;
