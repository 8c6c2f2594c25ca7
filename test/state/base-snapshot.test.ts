/** The base held column-wise (BaseTable) and its one-block snapshot in the real SQLite file: always the base the rows hold. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { statMatches, type BaseEntry } from '../../src/core/entry.js';
import { BaseTable, type BaseChange, type SeenStat } from '../../src/state/base-table.js';
import { baseFromRow, STATE_DB, StateStore, type BaseRow } from '../../src/state/store.js';
import { tempDir } from '../helpers/cli.js';

const T = 1_700_000_000_000;

function sha(x: string | number): string {
  return createHash('sha256').update(String(x)).digest('hex');
}

/** Every shape a base entry takes: identity on disk, no ctime (older base), no inode, racy remote, folder. */
function fileFull(n: number): BaseEntry {
  return { kind: 'file', hash: sha(n), local: { size: n, mtimeMs: T + n + 0.123456, ctimeMs: T + n + 7.5, ino: 1000 + n }, remote: { size: n, mtimeMs: T + n * 1000 } };
}
function fileNoCtime(n: number): BaseEntry {
  return { kind: 'file', hash: sha(n), local: { size: n, mtimeMs: T + n }, remote: { size: n, mtimeMs: T + n } };
}
function fileNoIno(n: number): BaseEntry {
  return { kind: 'file', hash: sha(n), local: { size: n, mtimeMs: T + n, ctimeMs: T + n + 1, ino: undefined }, remote: { size: n, mtimeMs: T + n } };
}
function fileRacy(n: number): BaseEntry {
  return { kind: 'file', hash: sha(n), local: { size: n, mtimeMs: T + n, ctimeMs: T + n, ino: 2 ** 40 + n }, remote: { size: n, mtimeMs: T + n, racy: true } };
}
function folder(): BaseEntry {
  return { kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } };
}
const SHAPES = [fileFull, fileNoCtime, fileNoIno, fileRacy];
function someFile(n: number): BaseEntry {
  return SHAPES[n % SHAPES.length]!(n);
}

/** A base row for `path` holding `e` (as the state database gives it back). */
function rowOf(path: string, e: BaseEntry): BaseRow {
  return [path, e.kind === 'dir' ? 1 : 0, e.hash, e.local.size, e.local.mtimeMs, e.local.ctimeMs ?? null, e.local.ino ?? null, e.remote.size, e.remote.mtimeMs, e.remote.racy ? 1 : null];
}

/** The base as the rows hold it. */
function tableOf(store: StateStore, remoteId: string): BaseTable {
  const t = new BaseTable();
  for (const r of store.eachBaseRow(remoteId)) t.add(r);
  return t;
}

/** Same paths, and the same entry for each (row order may differ). */
function expectSameBase(actual: BaseTable, expected: BaseTable): void {
  expect([...actual.paths].sort()).toEqual([...expected.paths].sort());
  for (const p of expected.paths) expect(actual.entry(actual.rowOf(p)!), p).toStrictEqual(expected.entry(expected.rowOf(p)!));
}

/** The stored snapshot bytes and rowid, read through a separate connection. */
function rawSnapshot(dir: string, remoteId: string): { data: Buffer; rowid: number } | undefined {
  const db = new Database(join(dir, STATE_DB), { readonly: true });
  try {
    return db.prepare('SELECT rowid, data FROM base_snapshot WHERE remote_id = ?').get(remoteId) as { data: Buffer; rowid: number } | undefined;
  } finally {
    db.close();
  }
}

const TRICKY_PATHS = ['hello? sausage/êé/Hello, 世界.json', 'with space.json', 'line\nbreak.json', "quote'\"$(x).json", 'emoji 😀/ü.ifc', 'tab\there.json'];

describe('BaseTable snapshot form', () => {
  it('keeps every entry when its rows are numbered anew, and writes them in the new order', () => {
    const table = new BaseTable();
    TRICKY_PATHS.forEach((p, i) => table.add(rowOf(p, someFile(i))));
    for (let i = 0; i < 50; i++) table.add(rowOf(`docs/a${i}.json`, someFile(i + 10)));
    table.add(rowOf('docs', folder()));
    const before = BaseTable.decode(table.encode())!;
    // Rows 5, 2 and 40 first (a repeat and rows that are not there are ignored), then the rest in order.
    table.reorder([5, 2, 5, 40, -1, 10_000]);
    expect(table.paths.slice(0, 3)).toEqual([before.paths[5], before.paths[2], before.paths[40]]);
    expect(table.paths.slice(3)).toEqual(before.paths.filter((_, row) => ![5, 2, 40].includes(row)));
    expectSameBase(table, before);
    for (const [row, p] of table.paths.entries()) {
      const bytes = Buffer.from(p);
      expect(table.rowOfBytes(bytes, 0, bytes.length), p).toBe(row);
    }
    const decoded = BaseTable.decode(table.encode())!;
    expect(decoded.paths).toEqual(table.paths);
    expectSameBase(decoded, before);
  });

  it('reads back exactly what the rows hold, for every kind of entry and path', () => {
    const dir = tempDir('arx-snapshot-');
    const store = StateStore.open(dir);
    const entries = new Map<string, BaseEntry>();
    entries.set('hello? sausage', folder());
    entries.set('hello? sausage/êé', folder());
    entries.set('emoji 😀', folder());
    TRICKY_PATHS.forEach((p, i) => entries.set(p, someFile(i + 1)));
    for (let i = 0; i < 40; i++) entries.set(`plain/${i}.json`, someFile(i));
    entries.set('plain', folder());
    for (const [p, e] of entries) store.putBase('r', p, e);

    const rows = tableOf(store, 'r');
    const decoded = BaseTable.decode(rows.encode())!;
    expect(decoded).toBeDefined();
    expect(decoded.size).toBe(entries.size);
    for (const [p, e] of entries) {
      const row = decoded.rowOf(p)!;
      expect(row, p).toBeDefined();
      // What reconcile sees from the snapshot is what it would see from the rows.
      expect(decoded.entry(row), p).toStrictEqual(store.getBase('r', p));
      expect(decoded.entry(row), p).toEqual(e);
      expect(decoded.isDir(row)).toBe(e.kind === 'dir');
      expect(decoded.hash(row)).toBe(e.hash);
    }
    expect(decoded.rowOf('not/there.json')).toBeUndefined();
    // A table read from a snapshot takes further rows like any other.
    decoded.add(['late.json', 0, sha('late'), 1, 2, 3, 4, 5, 6, null]);
    expect(decoded.entry(decoded.rowOf('late.json')!)).toEqual({ kind: 'file', hash: sha('late'), local: { size: 1, mtimeMs: 2, ctimeMs: 3, ino: 4 }, remote: { size: 5, mtimeMs: 6 } });
    expect(decoded.entry(decoded.rowOf(TRICKY_PATHS[0]!)!)).toEqual(entries.get(TRICKY_PATHS[0]!));
    store.close();
  });

  it('round-trips an empty base', () => {
    const empty = BaseTable.decode(new BaseTable().encode());
    expect(empty).toBeDefined();
    expect(empty!.size).toBe(0);
    expect(empty!.paths).toEqual([]);
  });

  it('refuses damaged data (so the base is read from the rows instead of guessed)', () => {
    const t = new BaseTable();
    t.add(['a.json', 0, sha(1), 1, T, T, 1, 1, T, null]);
    t.add(['b', 1, null, 0, 0, null, null, 0, 0, null]);
    t.add(['b/c.json', 0, sha(2), 2, T, null, null, 2, T, 1]);
    const good = t.encode();
    expect(BaseTable.decode(good)?.size).toBe(3);

    const patched = (at: number, byte: number): Buffer => {
      const b = Buffer.from(good);
      b[at] = byte;
      return b;
    };
    const withHeader = (offset: number, value: number): Buffer => {
      const b = Buffer.from(good);
      b.writeUInt32LE(value, offset);
      return b;
    };
    expect(BaseTable.decode(patched(0, good[0]! ^ 0xff))).toBeUndefined(); // wrong magic
    expect(BaseTable.decode(withHeader(4, 1))).toBeUndefined(); // an older format
    expect(BaseTable.decode(good.subarray(0, good.length - 1))).toBeUndefined(); // truncated
    expect(BaseTable.decode(good.subarray(0, 10))).toBeUndefined(); // not even a header
    expect(BaseTable.decode(Buffer.alloc(0))).toBeUndefined();
    expect(BaseTable.decode(Buffer.concat([good, Buffer.from('x')]))).toBeUndefined(); // wrong length
    expect(BaseTable.decode(withHeader(8, 4))).toBeUndefined(); // row count off
    expect(BaseTable.decode(withHeader(12, good.readUInt32LE(12) + 1))).toBeUndefined(); // path bytes off
    // A NUL inside a path: one path too many.
    expect(BaseTable.decode(patched(good.indexOf('b/c.json') + 1, 0))).toBeUndefined();
    // The path index's slots: a row in no slot, or in two.
    const slotsAt = 20 + 3 * (9 * 8 + 32 + 4);
    const slotCount = good.readUInt32LE(16);
    const slots = new Int32Array(slotCount).map((_, i) => good.readInt32LE(slotsAt + i * 4));
    const withSlot = (i: number, value: number): Buffer => {
      const b = Buffer.from(good);
      b.writeInt32LE(value, slotsAt + i * 4);
      return b;
    };
    expect(BaseTable.decode(withSlot(slots.findIndex((v) => v !== 0), 0))).toBeUndefined();
    expect(BaseTable.decode(withSlot(slots.indexOf(0), 1))).toBeUndefined();
    expect(BaseTable.decode(withSlot(slots.indexOf(0), 4))).toBeUndefined(); // no such row
    expect(BaseTable.decode(withHeader(16, slotCount / 2))).toBeUndefined(); // slot count off
  });
});

describe('BaseTable changes', () => {
  it('applied to the table give the same base as the same changes made to the rows', () => {
    const dir = tempDir('arx-changes-');
    const store = StateStore.open(dir);
    store.transaction(() => {
      store.putBase('r', 'd', { kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } });
      for (let i = 0; i < 50; i++) store.putBase('r', `d/f${i}.json`, someFile(i));
      for (let i = 0; i < 20; i++) store.putBase('r', `top${i}.json`, someFile(i + 100));
    });
    const row = (path: string, n: number): BaseRow => [path, 0, sha(n), n, T + n, T + n + 1, n, n, T + n, null];
    const changes: BaseChange[] = [
      { put: row('top3.json', 7) },
      { delete: 'top19.json' }, // the last row
      { delete: 'top0.json' },
      { put: row('new.json', 8) },
      { deleteUnder: 'd' },
      { put: row('d/back.json', 9) },
      { delete: 'never-there.json' },
      { put: row('new.json', 10) },
      { delete: 'top5.json' },
    ];
    const inPlace = tableOf(store, 'r');
    inPlace.applyChanges(changes);
    // The same changes made to the rows.
    for (const c of changes) {
      if ('put' in c) store.putBase('r', c.put[0], baseFromRow(c.put));
      else if ('delete' in c) store.deleteBase('r', c.delete);
      else store.deleteBaseUnder('r', c.deleteUnder);
    }
    const rebuilt = tableOf(store, 'r');
    expectSameBase(inPlace, rebuilt);
    expect(inPlace.size).toBe(rebuilt.size);
    expect(inPlace.entry(inPlace.rowOf('new.json')!).local.size).toBe(10);
    expect(inPlace.rowOf('d/f3.json')).toBeUndefined();
    store.close();
  });
});

describe('BaseTable.holds', () => {
  const row: BaseRow = ['f.json', 0, sha(1), 10, T + 123.456789, T + 200.25, 42, 10, T + 500, null];
  const noCtime: BaseRow = ['old.json', 0, sha(2), 10, T, null, null, 10, T + 500, null];
  const noIno: BaseRow = ['noino.json', 0, sha(3), 10, T, T, null, 10, T + 500, null];
  const racy: BaseRow = ['racy.json', 0, sha(4), 10, T, T, 7, 10, T + 500, 1];
  const dir: BaseRow = ['d', 1, null, 0, 0, null, null, 0, 0, null];
  const table = new BaseTable();
  for (const r of [row, noCtime, noIno, racy, dir]) table.add(r);
  const at = (p: string): number => table.rowOf(p)!;
  const local = (over: Partial<SeenStat> = {}): SeenStat => ({ kind: 'file', size: 10, mtimeMs: T + 123.456789, ctimeMs: T + 200.25, ino: 42, ...over });

  it('a local file holds the base only when size, mtime, ctime and inode all match', () => {
    expect(table.holds(at('f.json'), 'local', local(), 1)).toBe(true);
    expect(table.holds(at('f.json'), 'local', local({ size: 11 }), 1)).toBe(false);
    expect(table.holds(at('f.json'), 'local', local({ mtimeMs: T + 123.457 }), 1)).toBe(false);
    expect(table.holds(at('f.json'), 'local', local({ ctimeMs: T + 200.26 }), 1)).toBe(false);
    expect(table.holds(at('f.json'), 'local', local({ ino: 43 }), 1)).toBe(false);
    // Local comparison is exact whatever the remote's precision.
    expect(table.holds(at('f.json'), 'local', local({ mtimeMs: T + 123.9 }), 1000)).toBe(false);
  });

  it('a base row without ctime never vouches for a local file; one without inode only as its entry would', () => {
    expect(table.holds(at('old.json'), 'local', { kind: 'file', size: 10, mtimeMs: T }, 1)).toBe(false);
    expect(table.holds(at('old.json'), 'local', local({ mtimeMs: T }), 1)).toBe(false);
    for (const seen of [local({ mtimeMs: T, ctimeMs: T }), local({ mtimeMs: T, ctimeMs: T, ino: undefined })]) {
      const r = at('noino.json');
      expect(table.holds(r, 'local', seen, 1)).toBe(statMatches(table.entry(r).local, seen));
    }
  });

  it('a remote file holds at the remote precision, unless its stat was racy', () => {
    const r = at('f.json');
    const remote = (mtimeMs: number, size = 10): SeenStat => ({ kind: 'file', size, mtimeMs });
    expect(table.holds(r, 'remote', remote(T + 500), 1000)).toBe(true);
    expect(table.holds(r, 'remote', remote(T + 900), 1000)).toBe(true);
    expect(table.holds(r, 'remote', remote(T + 0), 1000)).toBe(true);
    expect(table.holds(r, 'remote', remote(T + 1000), 1000)).toBe(false);
    expect(table.holds(r, 'remote', remote(T - 1), 1000)).toBe(false);
    expect(table.holds(r, 'remote', remote(T + 500, 11), 1000)).toBe(false);
    expect(table.holds(r, 'remote', remote(T + 500.9), 1)).toBe(true);
    expect(table.holds(r, 'remote', remote(T + 501), 1)).toBe(false);
    // Racy: the same stat cannot vouch for the content.
    expect(table.holds(at('racy.json'), 'remote', remote(T + 500), 1000)).toBe(false);
    expect(table.holds(at('racy.json'), 'remote', remote(T + 500), 1)).toBe(false);
  });

  it('a file never holds where a folder is, nor a folder where a file is', () => {
    expect(table.holds(at('f.json'), 'local', local({ kind: 'dir' }), 1)).toBe(false);
    expect(table.holds(at('f.json'), 'remote', { kind: 'dir', size: 10, mtimeMs: T + 500 }, 1000)).toBe(false);
    expect(table.holds(at('d'), 'local', { kind: 'file', size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 }, 1)).toBe(false);
    expect(table.holds(at('d'), 'remote', { kind: 'file', size: 0, mtimeMs: 0 }, 1)).toBe(false);
    expect(table.holds(at('d'), 'local', { kind: 'dir', size: 4096, mtimeMs: T }, 1)).toBe(true);
    expect(table.holds(at('d'), 'remote', { kind: 'dir', size: 0, mtimeMs: 0 }, 1000)).toBe(true);
  });
});

/** A store whose remote 'r' has a few hundred base entries, and 'other' some too (some under the same folders). */
function populated(): { dir: string; store: StateStore; other: Map<string, BaseEntry> } {
  const dir = tempDir('arx-snapshot-');
  const store = StateStore.open(dir);
  const other = new Map<string, BaseEntry>();
  store.transaction(() => {
    for (const f of ['docs', 'docs/sub', 'models', 'ab', 'abc', TRICKY_PATHS[0]!.split('/')[0]!]) store.putBase('r', f, folder());
    for (let i = 0; i < 120; i++) store.putBase('r', `docs/a${i}.json`, someFile(i));
    for (let i = 0; i < 80; i++) store.putBase('r', `docs/sub/s${i}.json`, someFile(i + 200));
    for (let i = 0; i < 60; i++) store.putBase('r', `models/m${i}.ifc`, someFile(i + 400));
    for (let i = 0; i < 30; i++) store.putBase('r', `top${i}.json`, someFile(i + 500));
    // Neighbours of 'ab' that sort around 'ab/': only what is strictly below 'ab' goes with it.
    for (const p of ['ab/x.json', 'ab/y/z.json', 'ab.c', 'ab0', 'abc/x.json', 'ab-x.json']) store.putBase('r', p, someFile(p.length));
    TRICKY_PATHS.forEach((p, i) => store.putBase('r', p, someFile(i + 600)));
    for (let i = 0; i < 25; i++) other.set(i % 2 === 0 ? `docs/sub/o${i}.json` : `models/o${i}.ifc`, someFile(i + 700));
    other.set('docs', folder());
    for (const [p, e] of other) store.putBase('other', p, e);
  });
  return { dir, store, other };
}

/** What the next sync does when the snapshot is stale: load the rows, track, save (nothing changed). */
function resave(store: StateStore, remoteId: string): void {
  expect(store.baseSnapshot(remoteId)).toBeUndefined();
  const loaded = tableOf(store, remoteId);
  store.trackBaseChanges(remoteId);
  store.saveBaseSnapshot(remoteId, loaded);
}

function expectOtherUntouched(store: StateStore, other: Map<string, BaseEntry>): void {
  expect(store.countBase('other')).toBe(other.size);
  for (const [p, e] of other) expect(store.getBase('other', p), p).toEqual(e);
}

describe('base snapshot in the state database', () => {
  it('equals the rows after a sync with every kind of base change, and again for the sync after it', () => {
    const { dir, store, other } = populated();
    expect(store.baseSnapshot('r')).toBeUndefined();

    // Sync 1: the base is read row by row.
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.putBase('r', 'new-direct.json', fileFull(1));
    store.putBase('r', 'docs/a0.json', fileRacy(9999)); // overwrite
    store.deleteBase('r', 'models/m1.ifc');
    store.deleteBase('r', 'never-there.json');
    store.startJournal();
    // More than one journal batch (1024), so some reach the database mid-way.
    for (let i = 0; i < 1500; i++) store.putBase('r', `docs/sub/j${i}.json`, someFile(i + 1000));
    store.putBase('r', 'models/m2.ifc', fileNoIno(4242)); // overwrite, journaled
    store.deleteBase('r', 'models/m3.ifc');
    store.putBase('other', 'docs/sub/journaled-other.json', fileFull(3));
    other.set('docs/sub/journaled-other.json', fileFull(3));
    // Children put before and after tracking began; the folder itself stays.
    store.deleteBaseUnder('r', 'docs/sub');
    store.putBase('r', 'docs/sub/after.json', fileFull(77));
    store.deleteBase('r', 'top0.json');
    store.stopJournal();
    store.transaction(() => {
      store.putBase('r', 'models/m4.ifc', fileNoCtime(44));
      store.putBase('r', 'in-transaction.json', fileFull(5));
      store.deleteBaseUnder('r', 'ab');
      store.putBase('r', 'ab/y/back.json', fileFull(6));
      store.deleteBase('r', 'top1.json');
      store.putBase('r', 'top1.json', fileNoCtime(11)); // deleted, then put again
      store.putBase('r', 'gone-again.json', fileFull(12));
      store.deleteBase('r', 'gone-again.json'); // put, then deleted
    });
    store.deleteBaseUnder('r', TRICKY_PATHS[0]!.split('/')[0]!);
    store.saveBaseSnapshot('r', loaded);

    const rows = tableOf(store, 'r');
    const snap = store.baseSnapshot('r');
    expect(snap).toBeDefined();
    expectSameBase(snap!, rows);
    // The sequence really did what a user would expect of the base.
    for (const p of ['docs/sub', 'docs/sub/after.json', 'ab', 'ab.c', 'ab0', 'abc/x.json', 'ab-x.json', 'ab/y/back.json', 'top1.json', 'new-direct.json']) expect(rows.rowOf(p), p).toBeDefined();
    for (const p of ['docs/sub/s0.json', 'docs/sub/j0.json', 'docs/sub/j1499.json', 'ab/x.json', 'ab/y/z.json', 'models/m1.ifc', 'models/m3.ifc', 'top0.json', 'gone-again.json', TRICKY_PATHS[0]!]) expect(rows.rowOf(p), p).toBeUndefined();
    expect(snap!.entry(snap!.rowOf('docs/a0.json')!)).toEqual(fileRacy(9999));
    // The other remote's base is untouched and has no snapshot (none was saved for it).
    expectOtherUntouched(store, other);
    expect(store.baseSnapshot('other')).toBeUndefined();
    store.close();

    // Sync 2, in a new process: the base comes from the snapshot, and the new one is built on it.
    const next = StateStore.open(dir);
    const loaded2 = next.baseSnapshot('r')!;
    expectSameBase(loaded2, rows);
    next.trackBaseChanges('r');
    next.startJournal();
    next.putBase('r', 'docs/a1.json', fileNoCtime(31));
    next.deleteBase('r', 'docs/a2.json');
    next.putBase('r', 'sync2/new.json', fileFull(32));
    next.stopJournal();
    next.deleteBaseUnder('r', 'docs');
    next.putBase('r', 'docs/again.json', fileFull(33));
    next.saveBaseSnapshot('r', loaded2);
    expectSameBase(next.baseSnapshot('r')!, tableOf(next, 'r'));
    // All 120 docs/a*, docs/sub and docs/sub/after.json gone; two added.
    expect(next.countBase('r')).toBe(rows.size - 122 + 2);
    expectOtherUntouched(next, other);
    next.close();
  });

  it('is saved for the remote that was tracked only', () => {
    const { store, other } = populated();
    // Saving a remote that is not tracked stores nothing.
    store.saveBaseSnapshot('other', tableOf(store, 'other'));
    expect(store.baseSnapshot('other')).toBeUndefined();
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.putBase('other', 'x.json', fileFull(1));
    other.set('x.json', fileFull(1));
    store.putBase('r', 'y.json', fileFull(2));
    store.saveBaseSnapshot('r', loaded);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    expect(store.baseSnapshot('other')).toBeUndefined();
    // Once saved, tracking is over: saving again stores nothing.
    store.putBase('r', 'z.json', fileFull(3));
    store.saveBaseSnapshot('r', tableOf(store, 'r'));
    expect(store.baseSnapshot('r')).toBeUndefined();
    expectOtherUntouched(store, other);
    store.close();
  });

  it('is saved for the tracked remote even after another remote was saved in between', () => {
    const { store } = populated();
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.putBase('r', 'y.json', fileFull(2));
    store.saveBaseSnapshot('other', tableOf(store, 'other'));
    store.saveBaseSnapshot('r', loaded);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    store.close();
  });

  it('equals the rows after a transaction that failed and was rolled back', () => {
    const { store } = populated();
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.putBase('r', 'kept.json', fileFull(1));
    expect(() =>
      store.transaction(() => {
        store.putBase('r', 'phantom.json', fileFull(2));
        store.deleteBase('r', 'docs/a1.json');
        store.deleteBaseUnder('r', 'models');
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    store.saveBaseSnapshot('r', loaded);
    // Nothing stale is ever read: the rows are, and the next sync writes the snapshot from them.
    expect(store.baseSnapshot('r')).toBeUndefined();
    resave(store, 'r');
    const snap = store.baseSnapshot('r')!;
    expectSameBase(snap, tableOf(store, 'r'));
    expect(snap.rowOf('phantom.json')).toBeUndefined();
    expect(snap.rowOf('docs/a1.json')).toBeDefined();
    expect(snap.rowOf('kept.json')).toBeDefined();
    store.close();
  });

  /** A store with a saved snapshot of 'r' (and of 'other'). */
  function saved(): { dir: string; store: StateStore } {
    const { dir, store } = populated();
    for (const id of ['r', 'other']) {
      const loaded = tableOf(store, id);
      store.trackBaseChanges(id);
      store.saveBaseSnapshot(id, loaded);
      expect(store.baseSnapshot(id)).toBeDefined();
    }
    return { dir, store };
  }

  it('is dropped by any change to the base after it was saved, so a stale one is never read', () => {
    const changes: [string, (s: StateStore) => void][] = [
      ['putBase (new)', (s) => s.putBase('r', 'brand-new.json', fileFull(1))],
      ['putBase (overwrite, same values)', (s) => s.putBase('r', 'top5.json', someFile(505))],
      ['deleteBase', (s) => s.deleteBase('r', 'top5.json')],
      ['deleteBaseUnder', (s) => s.deleteBaseUnder('r', 'models')],
      ['journaled putBase', (s) => { s.startJournal(); s.putBase('r', 'j.json', fileFull(2)); s.stopJournal(); }],
      ['journaled deleteBase, still pending', (s) => { s.startJournal(); s.deleteBase('r', 'top6.json'); }],
      ['putBase in a transaction', (s) => s.transaction(() => s.putBase('r', 'x/t.json', fileFull(3)))],
    ];
    for (const [what, change] of changes) {
      const { store } = saved();
      change(store);
      expect(store.baseSnapshot('r'), what).toBeUndefined();
      expect(store.baseSnapshot('other'), what).toBeDefined();
      store.close();
    }
  });

  it('is kept when only another remote changes', () => {
    const { dir, store } = saved();
    const before = rawSnapshot(dir, 'r')!;
    store.putBase('other', 'docs/more.json', fileFull(1));
    store.deleteBaseUnder('other', 'docs');
    store.deleteBase('other', 'models/o1.ifc');
    expect(store.baseSnapshot('other')).toBeUndefined();
    expect(rawSnapshot(dir, 'r')).toEqual(before);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    // A deleteBaseUnder that removes nothing changes nothing.
    store.deleteBaseUnder('r', 'no-such-folder');
    expect(store.baseSnapshot('r')).toBeDefined();
    store.close();
  });

  it('is dropped when the next command applies what a killed sync left in the journal', () => {
    const { dir, store: killed } = saved();
    killed.startJournal();
    killed.putBase('r', 'finished-upload.json', fileFull(1));
    // Killed here: the change is only in the journal. The next command recovers it.
    const next = StateStore.open(dir);
    expect(next.baseSnapshot('r')).toBeDefined();
    expect(next.recoverJournal()).toBe(1);
    expect(next.baseSnapshot('r')).toBeUndefined();
    expect(next.baseSnapshot('other')).toBeDefined();
    expect(next.getBase('r', 'finished-upload.json')).toEqual(fileFull(1));
    next.close();
  });

  it('is left stale by a sync that changes more paths than are tracked, and written by the next', () => {
    const { store } = populated();
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.transaction(() => {
      for (let i = 0; i < 20_050; i++) store.putBase('r', `bulk/${i % 7}/f${i}.json`, someFile(i));
      store.deleteBase('r', 'top3.json');
    });
    store.deleteBaseUnder('r', 'bulk/3');
    store.putBase('r', 'docs/a5.json', fileNoCtime(55));
    store.saveBaseSnapshot('r', loaded);
    expect(store.baseSnapshot('r')).toBeUndefined();
    resave(store, 'r');
    const rows = tableOf(store, 'r');
    expectSameBase(store.baseSnapshot('r')!, rows);
    expect(rows.rowOf('bulk/3/f3.json')).toBeUndefined();
    expect(rows.rowOf('bulk/4/f4.json')).toBeDefined();
    store.close();
  });

  it('is left in place by a sync that changed nothing', () => {
    const { dir, store } = saved();
    const before = rawSnapshot(dir, 'r')!;
    // As a sync does: the base is loaded from the snapshot, then its changes are tracked.
    store.baseSnapshot('r');
    store.trackBaseChanges('r');
    // Were it written again, it would be this (empty) table: it must not be.
    store.saveBaseSnapshot('r', new BaseTable());
    expect(rawSnapshot(dir, 'r')).toEqual(before);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    store.close();
  });

  it('after a sync that changed a few paths, keeps the snapshot and adds those changes beside it; chained syncs add up', () => {
    const { dir, store } = saved();
    const before = rawSnapshot(dir, 'r')!;
    for (let sync = 0; sync < 3; sync++) {
      const loaded = store.baseSnapshot('r')!;
      expectSameBase(loaded, tableOf(store, 'r'));
      store.trackBaseChanges('r');
      store.putBase('r', `docs/a${sync}.json`, fileFull(900 + sync));
      store.deleteBase('r', `top${sync}.json`);
      store.putBase('r', `new/n${sync}.json`, fileNoCtime(sync));
      store.saveBaseSnapshot('r', loaded);
      // The big block was not written again.
      expect(rawSnapshot(dir, 'r')).toEqual(before);
      expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    }
    // A change after the last save makes both stale: the rows are read instead.
    store.putBase('r', 'late.json', fileFull(1));
    expect(store.baseSnapshot('r')).toBeUndefined();
    store.close();
  });

  it('is written again once the changes since it are many', () => {
    const { dir, store } = saved();
    const before = rawSnapshot(dir, 'r')!;
    const loaded = store.baseSnapshot('r')!;
    store.trackBaseChanges('r');
    store.transaction(() => {
      for (let i = 0; i < 1500; i++) store.putBase('r', `bulk/f${i}.json`, someFile(i));
    });
    store.saveBaseSnapshot('r', loaded);
    expect(rawSnapshot(dir, 'r')!.data.equals(before.data)).toBe(false);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    store.close();
  });

  it('is written by a sync that changed nothing when there was none', () => {
    const { store } = populated();
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', loaded);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    store.close();
  });

  /** A saved snapshot of 'r' with enough rows (over 1,024) to be worth reading in listing order. */
  function savedLarge(): { dir: string; store: StateStore } {
    const { dir, store } = populated();
    store.transaction(() => {
      for (let i = 0; i < 1200; i++) store.putBase('r', `bulk/${i % 9}/f${i}.json`, someFile(i));
    });
    const loaded = tableOf(store, 'r');
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', loaded);
    return { dir, store };
  }

  /** Row numbers of `table` in an order no listing would keep: every third row, then the rest backwards. */
  function shuffledRows(table: BaseTable): number[] {
    const rows = [...table.paths.keys()];
    return [...rows.filter((r) => r % 3 === 0), ...rows.filter((r) => r % 3 !== 0).reverse()];
  }

  it('is written again in listing order after a sync that changed nothing, when the listing met its rows out of order; then left alone', () => {
    const { dir, store } = savedLarge();
    const loaded = store.baseSnapshot('r')!;
    const order = shuffledRows(loaded);
    const listed = order.map((row) => loaded.paths[row]!);
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', loaded, order);
    const again = store.baseSnapshot('r')!;
    expect(again.paths).toEqual(listed);
    expectSameBase(again, tableOf(store, 'r'));
    // The next listing meets the rows in order: nothing is written.
    const before = rawSnapshot(dir, 'r')!;
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', again, [...again.paths.keys()]);
    expect(rawSnapshot(dir, 'r')).toEqual(before);
    // A listing whose order changed by itself (the base did not) gets no second rewrite.
    const third = store.baseSnapshot('r')!;
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', third, shuffledRows(third));
    expect(rawSnapshot(dir, 'r')).toEqual(before);
    // Once the base changed, its order is taken again (here by the next sync, which reads the rows).
    store.putBase('r', 'docs/a7.json', fileFull(70));
    const fourth = tableOf(store, 'r');
    const orderNow = shuffledRows(fourth);
    const listedNow = orderNow.map((row) => fourth.paths[row]!);
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', fourth, orderNow);
    expect(store.baseSnapshot('r')!.paths).toEqual(listedNow);
    expectSameBase(store.baseSnapshot('r')!, tableOf(store, 'r'));
    store.close();
  });

  it('is written whole in listing order, with the changes, instead of a delta when the listing met its rows out of order', () => {
    const { store } = savedLarge();
    const loaded = store.baseSnapshot('r')!;
    const order = shuffledRows(loaded);
    const listed = order.map((row) => loaded.paths[row]!);
    store.trackBaseChanges('r');
    store.putBase('r', 'docs/a1.json', fileRacy(31));
    store.deleteBase('r', listed[5]!);
    store.putBase('r', 'brand-new.json', fileFull(32));
    store.saveBaseSnapshot('r', loaded, order);
    const again = store.baseSnapshot('r')!;
    expectSameBase(again, tableOf(store, 'r'));
    // Listing order, but for the deleted row (the last row took its place) and the new one (at the end).
    expect(again.paths.slice(0, 5)).toEqual(listed.slice(0, 5));
    expect(again.paths.slice(6, 100)).toEqual(listed.slice(6, 100));
    expect(again.paths.at(-1)).toBe('brand-new.json');
    store.close();
  });

  it('is not written again for order alone when the base is small', () => {
    const { dir, store } = saved();
    const before = rawSnapshot(dir, 'r')!;
    const loaded = store.baseSnapshot('r')!;
    store.trackBaseChanges('r');
    store.saveBaseSnapshot('r', loaded, shuffledRows(loaded));
    expect(rawSnapshot(dir, 'r')).toEqual(before);
    store.close();
  });

  it('survives closing and reopening the state', () => {
    const { dir, store } = saved();
    const rows = tableOf(store, 'r');
    store.close();
    const again = StateStore.open(dir);
    expectSameBase(again.baseSnapshot('r')!, rows);
    again.close();
  });
});
