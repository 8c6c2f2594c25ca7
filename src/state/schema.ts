/**
 * The state database's schema, one migration per version. `PRAGMA
 * user_version` records the applied version; a newer file than this program
 * knows is refused rather than guessed at.
 */
export const MIGRATIONS: readonly string[] = [
  // v1
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE base (
    remote_id TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
    hash TEXT,
    local_size INTEGER NOT NULL,
    local_mtime REAL NOT NULL,
    remote_size INTEGER NOT NULL,
    remote_mtime REAL NOT NULL,
    PRIMARY KEY (remote_id, path)
  ) WITHOUT ROWID;
  CREATE TABLE stat_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    ctime REAL NOT NULL,
    ino,
    hash TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE syncs (
    sync_id TEXT PRIMARY KEY,
    remote_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    status_json TEXT NOT NULL
  );
  CREATE INDEX syncs_by_start ON syncs (start_time);
  CREATE TABLE conflicts (
    remote_id TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    sync_id TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    local_json TEXT,
    remote_json TEXT,
    PRIMARY KEY (remote_id, path)
  );
  `,
  // v2: the base remembers each local file's ctime and inode, so an unchanged
  // file is recognised from the base alone; the stat cache keeps only hashes
  // of files the base does not vouch for.
  `
  ALTER TABLE base ADD COLUMN local_ctime REAL;
  ALTER TABLE base ADD COLUMN local_ino;
  `,
  // v3: a remote stat seen too soon after its modification cannot vouch for
  // the content later (see SideStat.racy).
  `
  ALTER TABLE base ADD COLUMN remote_racy INTEGER;
  `,
  // v4: a snapshot of each remote's base in one block (see base-table.ts), read
  // in one go by the next sync. Any change to a remote's base rows drops its
  // snapshot, so a snapshot present is always the base as the rows hold it.
  `
  CREATE TABLE base_snapshot (remote_id TEXT PRIMARY KEY, data BLOB NOT NULL);
  CREATE TRIGGER base_snapshot_stale_on_insert AFTER INSERT ON base BEGIN
    DELETE FROM base_snapshot WHERE remote_id = NEW.remote_id;
  END;
  CREATE TRIGGER base_snapshot_stale_on_update AFTER UPDATE ON base BEGIN
    DELETE FROM base_snapshot WHERE remote_id IN (OLD.remote_id, NEW.remote_id);
  END;
  CREATE TRIGGER base_snapshot_stale_on_delete AFTER DELETE ON base BEGIN
    DELETE FROM base_snapshot WHERE remote_id = OLD.remote_id;
  END;
  `,
  // v5: each remote's base has a generation, counted up by the database on every
  // change to its rows. A snapshot (and a small delta of changes on top of it)
  // records the generation it holds, and is used only while that is current: a
  // sync that changes little writes a delta instead of the whole snapshot.
  `
  DROP TRIGGER base_snapshot_stale_on_insert;
  DROP TRIGGER base_snapshot_stale_on_update;
  DROP TRIGGER base_snapshot_stale_on_delete;
  DROP TABLE base_snapshot;
  CREATE TABLE base_generation (remote_id TEXT PRIMARY KEY, gen INTEGER NOT NULL);
  CREATE TABLE base_snapshot (remote_id TEXT PRIMARY KEY, gen INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE TABLE base_snapshot_delta (remote_id TEXT PRIMARY KEY, snapshot_gen INTEGER NOT NULL, gen INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE TRIGGER base_generation_on_insert AFTER INSERT ON base BEGIN
    INSERT INTO base_generation (remote_id, gen) VALUES (NEW.remote_id, 1) ON CONFLICT (remote_id) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER base_generation_on_update AFTER UPDATE ON base BEGIN
    INSERT INTO base_generation (remote_id, gen) VALUES (OLD.remote_id, 1) ON CONFLICT (remote_id) DO UPDATE SET gen = gen + 1;
    INSERT INTO base_generation (remote_id, gen) VALUES (NEW.remote_id, 1) ON CONFLICT (remote_id) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER base_generation_on_delete AFTER DELETE ON base BEGIN
    INSERT INTO base_generation (remote_id, gen) VALUES (OLD.remote_id, 1) ON CONFLICT (remote_id) DO UPDATE SET gen = gen + 1;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
