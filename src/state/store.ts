/**
 * The project's state in `.arx/state.db` (SQLite): base entries per remote,
 * the local stat cache, sync history and open conflicts. Each write outside
 * `transaction()` commits on its own, or, while a sync transfers, is appended
 * to the base journal first (see base-journal.ts): either way a killed
 * process keeps every finished action.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BaseEntry } from '../core/entry.js';
import { ArxError, diskFullError, errnoCode, isDiskFull, PermissionDeniedError } from '../errors.js';
import { BaseJournal, type JournalOp } from './base-journal.js';
import { BaseTable, type BaseChange } from './base-table.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { decodePath, fsPath, pathBytes } from '../util/path-bytes.js';

/**
 * A path as a column value: its text, or for a path that is not UTF-8 its
 * bytes as a BLOB (SQLite would store its escapes as text it cannot give
 * back). A BLOB never equals a TEXT, so the two kinds never meet.
 */
const toColumn = fsPath;
/** A path column as read (see toColumn). */
function fromColumn(v: string | Buffer): string {
  return typeof v === 'string' ? v : decodePath(v);
}

export interface StatCacheEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
}

export interface ConflictRecord {
  path: string;
  kind: string;
  reason: string;
  sync_id: string;
  detected_at: string;
  local: unknown;
  remote: unknown;
}

export interface SyncRow {
  sync_id: string;
  status: string;
  start_time: string;
  status_json: string;
}

/** A base row as read (see eachBaseRow). */
export type BaseRow = [
  path: string,
  isDir: 0 | 1,
  hash: string | null,
  localSize: number,
  localMtime: number,
  localCtime: number | null,
  localIno: number | null,
  remoteSize: number,
  remoteMtime: number,
  remoteRacy: 1 | null,
];

export const STATE_DB = 'state.db';

/** Changes since the snapshot up to this many (or this share of the base) are saved as a delta; more rewrite the snapshot. */
const MIN_DELTA = 1000;
const DELTA_SHARE = 0.05;

/** A base of at least this many rows is rewritten in listing order when its rows are out of it (see saveBaseSnapshot). */
const REORDER_MIN_ROWS = 1024;
/** Out of order: more than this share of the rows a listing met did not follow the one before. */
const OUT_OF_ORDER_SHARE = 0.25;

function outOfOrder(order: readonly number[] | undefined, size: number): order is readonly number[] {
  if (order === undefined || size < REORDER_MIN_ROWS) return false;
  let breaks = 0;
  for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]! + 1) breaks++;
  return breaks > order.length * OUT_OF_ORDER_SHARE;
}

/** What a snapshot-loaded base was built from. */
interface LoadedSnapshot {
  snapshotGen: number;
  /** The delta's changes applied on top of the snapshot. */
  changes: BaseChange[];
}

/** A delta as stored (JSON of the changes), or undefined when it is not one. */
function decodeChanges(data: Buffer): BaseChange[] | undefined {
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    return Array.isArray(parsed) ? (parsed as BaseChange[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Beyond this many base changes in one sync, its snapshot is taken from the rows again (cheaper than keeping them all). */
const MAX_TRACKED_CHANGES = 20_000;

/** Journaled base changes applied to the database at once (see base-journal.ts). */
const JOURNAL_BATCH = 1024;

export class StateStore {
  private readonly db: Database.Database;
  private readonly stmts;
  /** Set while base changes are journaled; `pending` holds those not yet in the database. */
  private journal: BaseJournal | undefined;
  private pending: JournalOp[] = [];
  /** The base changes of one remote since its table was loaded (see trackBaseChanges); undefined: too many to keep. */
  private tracked: { remoteId: string; changes: BaseChange[] | undefined; gen: number; from: LoadedSnapshot | undefined } | undefined;
  /** Where the last baseSnapshot() table came from. */
  private loaded: (LoadedSnapshot & { remoteId: string }) | undefined;

  private constructor(
    db: Database.Database,
    /** The project's state folder (`.arx/`). */
    readonly stateDir: string,
  ) {
    this.db = db;
    this.stmts = {
      putBase: db.prepare(
        `INSERT OR REPLACE INTO base (remote_id, path, kind, hash, local_size, local_mtime, local_ctime, local_ino, remote_size, remote_mtime, remote_racy)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteBase: db.prepare('DELETE FROM base WHERE remote_id = ? AND path = ?'),
      getBase: db
        .prepare("SELECT path, kind = 'dir', hash, local_size, local_mtime, local_ctime, local_ino, remote_size, remote_mtime, remote_racy FROM base WHERE remote_id = ? AND path = ?")
        .raw(true),
      putStat: db.prepare('INSERT OR REPLACE INTO stat_cache (path, size, mtime, ctime, ino, hash) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteStat: db.prepare('DELETE FROM stat_cache WHERE path = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      putSync: db.prepare('INSERT OR REPLACE INTO syncs (sync_id, remote_id, status, start_time, status_json) VALUES (?, ?, ?, ?, ?)'),
      getSync: db.prepare('SELECT sync_id, status, start_time, status_json FROM syncs WHERE sync_id = ?'),
      putConflict: db.prepare(
        `INSERT OR REPLACE INTO conflicts (remote_id, path, kind, reason, sync_id, detected_at, local_json, remote_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteConflict: db.prepare('DELETE FROM conflicts WHERE remote_id = ? AND path = ?'),
      generation: db.prepare('SELECT gen FROM base_generation WHERE remote_id = ?').pluck(),
      getSnapshot: db.prepare('SELECT gen, data FROM base_snapshot WHERE remote_id = ?'),
      putSnapshot: db.prepare('INSERT OR REPLACE INTO base_snapshot (remote_id, gen, data) VALUES (?, ?, ?)'),
      getDelta: db.prepare('SELECT snapshot_gen, gen, data FROM base_snapshot_delta WHERE remote_id = ?'),
      putDelta: db.prepare('INSERT OR REPLACE INTO base_snapshot_delta (remote_id, snapshot_gen, gen, data) VALUES (?, ?, ?, ?)'),
      deleteDelta: db.prepare('DELETE FROM base_snapshot_delta WHERE remote_id = ?'),
    };
  }

  /** Open (creating if needed) the state database in `stateDir`. */
  static open(stateDir: string): StateStore {
    const file = join(stateDir, STATE_DB);
    try {
      mkdirSync(stateDir, { recursive: true });
      const db = new Database(file, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, file);
      return new StateStore(db, stateDir);
    } catch (err) {
      if (err instanceof ArxError) throw err;
      if (isDiskFull(err, stateDir)) throw diskFullError(`opening the state database ${file}`);
      throw unopenable(err, file, stateDir);
    }
  }

  /**
   * The store for commands that only read it (status, history, conflicts,
   * reports): it never writes, so it answers on a full or read-only disk.
   * Opened read-only; where SQLite cannot do even that (its shared-memory
   * file cannot be created or grow), or the file needs a schema upgrade, a
   * copy of the file is read into memory (changes still only in its
   * write-ahead log are then not seen). A project without state gets an
   * empty store, and nothing is created.
   */
  static openReadOnly(stateDir: string): StateStore {
    const file = join(stateDir, STATE_DB);
    if (!existsSync(file)) return StateStore.inMemory(undefined, file, stateDir);
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      try {
        if ((db.pragma('user_version', { simple: true }) as number) >= SCHEMA_VERSION) {
          migrate(db, file); // refuses a newer schema; changes nothing
          db.prepare('SELECT 1 FROM syncs LIMIT 1').get(); // a file SQLite cannot read fails here, not later
          return new StateStore(db, stateDir);
        }
      } catch (err) {
        db.close();
        throw err;
      }
      db.close();
    } catch (err) {
      if (err instanceof ArxError) throw err;
      // Read into memory instead (below).
    }
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (err) {
      throw unopenable(err, file, stateDir);
    }
    return StateStore.inMemory(data, file, stateDir);
  }

  /** A private copy in memory: of `data` (a state.db file's bytes), or empty. */
  private static inMemory(data: Buffer | undefined, file: string, stateDir: string): StateStore {
    try {
      // A database in WAL mode cannot be opened from memory: the copy is marked as a rollback-journal file.
      if (data !== undefined && data.length >= 20 && data[18] === 2) data[18] = data[19] = 1;
      const db = new Database(data ?? ':memory:');
      migrate(db, file);
      return new StateStore(db, stateDir);
    } catch (err) {
      if (err instanceof ArxError) throw err;
      throw unopenable(err, file, stateDir);
    }
  }

  close(): void {
    this.stopJournal();
    this.db.close();
  }

  /** Apply the base changes a killed process left in the journal. Only with the project lock held. */
  recoverJournal(): number {
    const ops = BaseJournal.leftover(this.stateDir);
    if (ops.length > 0) this.applyAll(ops);
    BaseJournal.remove(this.stateDir);
    return ops.length;
  }

  /**
   * From now on (until stopJournal), putBase and deleteBase append to the journal
   * and reach the database in batches. Every other call applies the pending
   * changes first, so the database never sees them out of order.
   */
  startJournal(): void {
    this.journal ??= BaseJournal.open(this.stateDir);
  }

  stopJournal(): void {
    if (this.journal === undefined) return;
    this.flushJournal();
    this.journal.close();
    this.journal = undefined;
  }

  private flushJournal(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    this.applyAll(ops);
    this.journal!.clear();
  }

  /** In one commit. */
  private applyAll(ops: readonly JournalOp[]): void {
    this.untrackOnFailure(() => this.db.transaction(() => ops.forEach((op) => this.apply(op)))());
  }

  /** A failed transaction undid its rows but not the tracked changes: the next snapshot is then read from the rows. */
  private untrackOnFailure<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (this.tracked !== undefined) this.tracked.changes = undefined;
      throw err;
    }
  }

  private apply(op: JournalOp): void {
    if (op[0] === 'delete') this.stmts.deleteBase.run(op[1], toColumn(op[2]));
    else this.stmts.putBase.run(op[1], toColumn(op[2]), ...op.slice(3));
    if (this.tracked?.remoteId === op[1]) {
      const [, , path, kind, hash, ls, lm, lc, li, rs, rm, racy] = op as [string, string, string, ...(string | number | null)[]];
      this.track(op[0] === 'delete' ? { delete: op[2] } : { put: [path, kind === 'dir' ? 1 : 0, hash as string | null, ls as number, lm as number, lc as number | null, li as number | null, rs as number, rm as number, racy === 1 ? 1 : null] });
    }
  }

  private track(change: BaseChange): void {
    const t = this.tracked!;
    if (t.changes !== undefined && t.changes.length >= MAX_TRACKED_CHANGES) t.changes = undefined;
    t.changes?.push(change);
  }

  /** The generation of a remote's base rows (counted up by the database on every change; 0 before any). */
  private generation(remoteId: string): number {
    return (this.stmts.generation.get(remoteId) as number | undefined) ?? 0;
  }

  /**
   * The base of a remote from its snapshot (and the delta on top of it), or
   * undefined when they do not hold the current rows (changed since, never
   * taken, unreadable): then read it row by row.
   */
  baseSnapshot(remoteId: string): BaseTable | undefined {
    this.flushJournal();
    this.loaded = undefined;
    const gen = this.generation(remoteId);
    const snap = this.stmts.getSnapshot.get(remoteId) as { gen: number; data: Buffer } | undefined;
    if (snap === undefined) return undefined;
    let changes: BaseChange[] = [];
    if (snap.gen !== gen) {
      const delta = this.stmts.getDelta.get(remoteId) as { snapshot_gen: number; gen: number; data: Buffer } | undefined;
      if (delta === undefined || delta.snapshot_gen !== snap.gen || delta.gen !== gen) return undefined;
      const parsed = decodeChanges(delta.data);
      if (parsed === undefined) return undefined;
      changes = parsed;
    }
    const table = BaseTable.decode(snap.data);
    if (table === undefined) return undefined;
    this.loaded = { remoteId, snapshotGen: snap.gen, changes };
    table.applyChanges(changes);
    return table;
  }

  /** From now on, remember this remote's base changes (for saveBaseSnapshot). */
  trackBaseChanges(remoteId: string): void {
    this.flushJournal();
    const from = this.loaded?.remoteId === remoteId ? this.loaded : undefined;
    this.tracked = { remoteId, changes: [], gen: this.generation(remoteId), from };
  }

  /**
   * Store what the next sync loads: nothing when the base did not change and
   * came from a snapshot; the changes since the snapshot as a delta when they
   * are few; else the whole snapshot, from `loaded` (the base when tracking
   * started) with the tracked changes applied to it (so `loaded` is the base
   * as it is now once this returns). Nothing either when those were too many
   * or a transaction failed: the snapshot stays stale until then.
   *
   * `listingOrder`: the rows in the order the project folder's listing met
   * them. Where that order is far from the rows' (a first snapshot, or many
   * changes since), the whole snapshot is written in listing order, even after
   * a sync that changed nothing: the next listings then read the base front
   * to back, which on a large project is much faster than reading it at random.
   * (Once per state of the base: a listing whose order keeps changing gets
   * no rewrite at every sync.)
   */
  saveBaseSnapshot(remoteId: string, loaded: BaseTable, listingOrder?: readonly number[]): void {
    this.flushJournal();
    const t = this.tracked;
    if (t?.remoteId !== remoteId) return;
    this.tracked = undefined;
    const gen = this.generation(remoteId);
    // For order alone, once per state of the base: a folder whose listing order changes by itself
    // (some network file systems) must not have its snapshot written at every sync.
    const reorderedAt = `snapshot_reordered:${remoteId}`;
    const reorder = t.changes !== undefined && outOfOrder(listingOrder, loaded.size) && this.getMeta(reorderedAt) !== String(gen);
    if (gen === t.gen && t.from !== undefined && !reorder) return;
    if (t.changes !== undefined && t.from !== undefined && !reorder) {
      const since = [...t.from.changes, ...t.changes];
      if (since.length <= Math.max(MIN_DELTA, loaded.size * DELTA_SHARE)) {
        this.stmts.putDelta.run(remoteId, t.from.snapshotGen, gen, Buffer.from(JSON.stringify(since)));
        return;
      }
    }
    // Too many changes to have kept (a first sync, say), or a failed transaction: the next sync reads
    // the rows and writes the snapshot then, when it holds little else in memory.
    if (t.changes === undefined) return;
    if (reorder) loaded.reorder(listingOrder!);
    loaded.applyChanges(t.changes);
    this.transaction(() => {
      this.stmts.putSnapshot.run(remoteId, gen, loaded.encode());
      this.stmts.deleteDelta.run(remoteId);
      if (reorder) this.stmts.putMeta.run(reorderedAt, String(gen));
    });
  }

  private journaled(op: JournalOp): boolean {
    if (this.journal === undefined) return false;
    this.journal.append(op);
    this.pending.push(op);
    if (this.pending.length >= JOURNAL_BATCH) this.flushJournal();
    return true;
  }

  /** Runs with the journal applied and set aside: its writes are part of one atomic commit. */
  transaction<T>(fn: () => T): T {
    this.flushJournal();
    const journal = this.journal;
    this.journal = undefined;
    try {
      return this.untrackOnFailure(() => this.db.transaction(fn)());
    } finally {
      this.journal = journal;
    }
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.flushJournal();
    this.stmts.putMeta.run(key, value);
  }

  /** The base as raw rows (arrays are much cheaper than row objects; the kind comes as a number, no string per row). */
  *eachBaseRow(remoteId: string): IterableIterator<BaseRow> {
    this.flushJournal();
    const rows = this.db
      .prepare("SELECT path, kind = 'dir', hash, local_size, local_mtime, local_ctime, local_ino, remote_size, remote_mtime, remote_racy FROM base WHERE remote_id = ?")
      .raw(true)
      .iterate(remoteId) as IterableIterator<BaseRow>;
    for (const r of rows) {
      if (typeof r[0] !== 'string') r[0] = fromColumn(r[0] as Buffer);
      yield r;
    }
  }

  getBase(remoteId: string, path: string): BaseEntry | undefined {
    this.flushJournal();
    const r = this.stmts.getBase.get(remoteId, toColumn(path)) as BaseRow | undefined;
    return r === undefined ? undefined : baseFromRow(r);
  }

  countBase(remoteId: string): number {
    this.flushJournal();
    return this.db.prepare('SELECT count(*) FROM base WHERE remote_id = ?').pluck().get(remoteId) as number;
  }

  putBase(remoteId: string, path: string, e: BaseEntry): void {
    const op: JournalOp = ['put', remoteId, path, e.kind, e.hash, e.local.size, e.local.mtimeMs, e.local.ctimeMs ?? null, e.local.ino ?? null, e.remote.size, e.remote.mtimeMs, e.remote.racy ? 1 : null];
    if (!this.journaled(op)) this.apply(op);
  }

  deleteBase(remoteId: string, path: string): void {
    const op: JournalOp = ['delete', remoteId, path];
    if (!this.journaled(op)) this.apply(op);
  }

  /** Forget every base entry strictly below a folder ('/' sorts just before '0'). */
  deleteBaseUnder(remoteId: string, folder: string): void {
    this.flushJournal();
    const remove = this.db.prepare('DELETE FROM base WHERE remote_id = ? AND path > ? AND path < ?');
    remove.run(remoteId, `${folder}/`, `${folder}0`);
    // Paths that are not UTF-8 are BLOBs (see toColumn), compared byte by byte.
    const prefix = pathBytes(folder);
    remove.run(remoteId, Buffer.concat([prefix, Buffer.from('/')]), Buffer.concat([prefix, Buffer.from('0')]));
    if (this.tracked?.remoteId === remoteId) this.track({ deleteUnder: folder });
  }

  loadStatCache(): Map<string, StatCacheEntry> {
    this.flushJournal();
    const rows = this.db.prepare('SELECT path, size, mtime, ctime, ino, hash FROM stat_cache').raw(true).all() as [string | Buffer, number, number, number, number, string][];
    const cache = new Map<string, StatCacheEntry>();
    for (const r of rows) cache.set(fromColumn(r[0]), { size: r[1], mtimeMs: r[2], ctimeMs: r[3], ino: r[4], hash: r[5] });
    return cache;
  }

  putStat(path: string, e: StatCacheEntry): void {
    this.flushJournal();
    this.stmts.putStat.run(toColumn(path), e.size, e.mtimeMs, e.ctimeMs, e.ino, e.hash);
  }

  deleteStat(path: string): void {
    this.flushJournal();
    this.stmts.deleteStat.run(toColumn(path));
  }

  saveSync(remoteId: string, syncId: string, status: string, startTime: string, json: string): void {
    this.flushJournal();
    this.stmts.putSync.run(syncId, remoteId, status, startTime, json);
  }

  getSync(syncId: string): SyncRow | undefined {
    return this.stmts.getSync.get(syncId) as SyncRow | undefined;
  }

  /** Most recent first. */
  listSyncs(limit: number): SyncRow[] {
    return this.db
      .prepare('SELECT sync_id, status, start_time, status_json FROM syncs ORDER BY start_time DESC, rowid DESC LIMIT ?')
      .all(limit) as SyncRow[];
  }

  /** Syncs still marked running: their process died (the caller holds the project lock). */
  listRunning(): SyncRow[] {
    return this.db.prepare("SELECT sync_id, status, start_time, status_json FROM syncs WHERE status = 'running'").all() as SyncRow[];
  }

  /** The remote the most recent sync ran with (its base and conflicts are keyed by it). */
  lastSyncRemoteId(): string | undefined {
    return this.db.prepare('SELECT remote_id FROM syncs ORDER BY start_time DESC, rowid DESC LIMIT 1').pluck().get() as string | undefined;
  }

  syncIdExists(syncId: string): boolean {
    return this.getSync(syncId) !== undefined;
  }

  /** Replace the open conflicts of a remote with the ones found by the latest sync. */
  replaceConflicts(remoteId: string, conflicts: ConflictRecord[]): void {
    this.transaction(() => {
      this.db.prepare('DELETE FROM conflicts WHERE remote_id = ?').run(remoteId);
      for (const c of conflicts) this.putConflict(remoteId, c);
    });
  }

  putConflict(remoteId: string, c: ConflictRecord): void {
    this.flushJournal();
    this.stmts.putConflict.run(remoteId, toColumn(c.path), c.kind, c.reason, c.sync_id, c.detected_at, JSON.stringify(c.local ?? null), JSON.stringify(c.remote ?? null));
  }

  listConflicts(remoteId: string): ConflictRecord[] {
    const rows = this.db
      .prepare('SELECT path, kind, reason, sync_id, detected_at, local_json, remote_json FROM conflicts WHERE remote_id = ? ORDER BY path')
      .all(remoteId) as { path: string | Buffer; kind: string; reason: string; sync_id: string; detected_at: string; local_json: string; remote_json: string }[];
    return rows.map((r) => ({
      path: fromColumn(r.path),
      kind: r.kind,
      reason: r.reason,
      sync_id: r.sync_id,
      detected_at: r.detected_at,
      local: JSON.parse(r.local_json) as unknown,
      remote: JSON.parse(r.remote_json) as unknown,
    }));
  }

  deleteConflict(remoteId: string, path: string): void {
    this.flushJournal();
    this.stmts.deleteConflict.run(remoteId, toColumn(path));
  }
}

export function baseFromRow(r: BaseRow): BaseEntry {
  const local = r[5] === null ? { size: r[3], mtimeMs: r[4] } : { size: r[3], mtimeMs: r[4], ctimeMs: r[5], ino: r[6] ?? undefined };
  return { kind: r[1] === 1 ? 'dir' : 'file', hash: r[2], local, remote: r[9] === 1 ? { size: r[7], mtimeMs: r[8], racy: true } : { size: r[7], mtimeMs: r[8] } };
}

/** Why the state database cannot be opened: permission (exit 6), else damaged (exit 2). */
function unopenable(err: unknown, file: string, stateDir: string): ArxError {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') {
    return new PermissionDeniedError(`cannot open the state database ${file} (${code}); check the permissions of ${stateDir}`, 'STATE_DENIED');
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ArxError(
    'config',
    'STATE_UNREADABLE',
    `state database ${file} cannot be opened (${msg}); move it away and sync again: arx then compares both sides afresh and overwrites nothing`,
    { cause: err },
  );
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new ArxError(
      'config',
      'STATE_TOO_NEW',
      `state database ${file} was written by a newer arx (schema ${version}, this arx knows ${SCHEMA_VERSION}); upgrade arx`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
