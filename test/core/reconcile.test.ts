/**
 * Table-driven tests for the three-way reconcile (after Mutagen's
 * pkg/synchronization/core/reconcile_test.go): each case lists base/local/remote
 * entries for a few paths and the exact actions expected, in tree order.
 */
import { describe, expect, it } from 'vitest';
import { knownRemoteHash, sameMtime, type BaseEntry, type DirEntry, type EntryKind, type FileEntry, type Side, type Entry } from '../../src/core/entry.js';
import { needsRemoteHash, reconcile, type Action, type ConflictKind, type PathState } from '../../src/core/reconcile.js';

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const _ = undefined;
const SIZE = 10;
const MTIME = 1_700_000_000_000;

/** A file with a known hash; default size/mtime match the default base stats. */
function f(hash: string, size = SIZE, mtimeMs = MTIME): FileEntry {
  return { kind: 'file', size, mtimeMs, hash };
}

/** A remote file whose hash is unknown (its size/mtime moved since the base). */
function fu(size = SIZE + 1, mtimeMs = MTIME + 5_000): FileEntry {
  return { kind: 'file', size, mtimeMs };
}

function d(): DirEntry {
  return { kind: 'dir' };
}

interface Stats {
  ls?: number;
  lm?: number;
  rs?: number;
  rm?: number;
}

/** Base entry of a file synced with `hash`; stats default to SIZE/MTIME on both sides. */
function b(hash: string, s: Stats = {}): BaseEntry {
  return {
    kind: 'file',
    hash,
    local: { size: s.ls ?? SIZE, mtimeMs: s.lm ?? MTIME },
    remote: { size: s.rs ?? SIZE, mtimeMs: s.rm ?? MTIME },
  };
}

/** Base entry of a folder. */
function bd(): BaseEntry {
  return { kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } };
}

function p(path: string, base: BaseEntry | undefined, local: Entry | undefined, remote: Entry | undefined): PathState {
  const s: PathState = { path };
  if (base !== undefined) s.base = base;
  if (local !== undefined) s.local = local;
  if (remote !== undefined) s.remote = remote;
  return s;
}

/** The parts of an action a test asserts on (everything but `reason`). */
interface Want {
  path: string;
  type: Action['type'];
  to?: Side;
  kind?: EntryKind;
  replaces?: EntryKind;
  conflict?: ConflictKind;
}

const copy = (path: string, to: Side, replaces?: EntryKind): Want => ({ path, type: 'copy', to, kind: 'file', ...(replaces ? { replaces } : {}) });
const mkdir = (path: string, to: Side, replaces?: EntryKind): Want => ({ path, type: 'mkdir', to, kind: 'dir', ...(replaces ? { replaces } : {}) });
const del = (path: string, to: Side, kind: EntryKind): Want => ({ path, type: 'delete', to, kind });
const rec = (path: string): Want => ({ path, type: 'record' });
const forget = (path: string): Want => ({ path, type: 'forget' });
const conflict = (path: string, kind: ConflictKind): Want => ({ path, type: 'conflict', conflict: kind });

function strip(a: Action): Want {
  const w: Want = { path: a.path, type: a.type };
  if (a.to !== undefined) w.to = a.to;
  if (a.kind !== undefined) w.kind = a.kind;
  if (a.replaces !== undefined) w.replaces = a.replaces;
  if (a.conflict !== undefined) w.conflict = a.conflict;
  return w;
}

interface Case {
  name: string;
  states: PathState[];
  want: Want[];
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const cases: Case[] = [
  // --- no base ------------------------------------------------------------
  { name: 'no base: nothing anywhere', states: [p('a', _, _, _)], want: [] },
  { name: 'no base: file only on local', states: [p('a.txt', _, f('h1'), _)], want: [copy('a.txt', 'remote')] },
  { name: 'no base: file only on remote', states: [p('a.txt', _, _, f('h1'))], want: [copy('a.txt', 'local')] },
  { name: 'no base: folder only on local', states: [p('d', _, d(), _)], want: [mkdir('d', 'remote')] },
  { name: 'no base: folder only on remote', states: [p('d', _, _, d())], want: [mkdir('d', 'local')] },
  {
    name: 'no base: new folder tree on local is created top-down',
    states: [p('d', _, d(), _), p('d/a', _, f('h1'), _), p('d/e', _, d(), _), p('d/e/b', _, f('h2'), _)],
    want: [mkdir('d', 'remote'), copy('d/a', 'remote'), mkdir('d/e', 'remote'), copy('d/e/b', 'remote')],
  },
  { name: 'no base: identical files on both sides', states: [p('a', _, f('h1'), f('h1', SIZE, MTIME + 777))], want: [rec('a')] },
  { name: 'no base: folders on both sides', states: [p('d', _, d(), d())], want: [rec('d')] },
  { name: 'no base: different content on both sides', states: [p('a', _, f('h1'), f('h2'))], want: [conflict('a', 'both-created')] },
  { name: 'no base: remote hash unknown cannot prove equality', states: [p('a', _, f('h1'), fu())], want: [conflict('a', 'both-created')] },
  { name: 'no base: file on local, folder on remote', states: [p('x', _, f('h1'), d())], want: [conflict('x', 'kind-mismatch')] },
  {
    name: 'no base: folder on local (with contents), file on remote: contents untouched',
    states: [p('x', _, d(), f('h1')), p('x/a', _, f('h2'), _), p('x/sub', _, d(), _)],
    want: [conflict('x', 'kind-mismatch')],
  },
  {
    name: 'no base: folders on both sides, same-named files differ inside',
    states: [p('d', _, d(), d()), p('d/a', _, f('h1'), f('h2')), p('d/b', _, f('h3'), f('h3'))],
    want: [rec('d'), conflict('d/a', 'both-created'), rec('d/b')],
  },

  // --- base, nothing changed ------------------------------------------------
  { name: 'unchanged file: no action', states: [p('a', b('h1'), f('h1'), f('h1'))], want: [] },
  { name: 'unchanged folder: no action', states: [p('d', bd(), d(), d())], want: [] },
  { name: 'unchanged file where sides legitimately differ in stats recorded in base', states: [p('a', b('h1', { lm: 5, rm: 9 }), f('h1', SIZE, 5), f('h1', SIZE, 9))], want: [] },
  { name: 'touched on local only (same hash, new mtime): record refresh', states: [p('a', b('h1'), f('h1', SIZE, MTIME + 60_000), f('h1'))], want: [rec('a')] },
  { name: 'touched on remote, hash still known: record refresh', states: [p('a', b('h1'), f('h1'), f('h1', SIZE, MTIME + 400))], want: [rec('a')] },
  { name: 'touched on both sides: record refresh', states: [p('a', b('h1'), f('h1', SIZE, MTIME + 1), f('h1', SIZE, MTIME + 2))], want: [rec('a')] },

  // --- modified on one side ------------------------------------------------
  { name: 'modified on local: upload', states: [p('a', b('h1'), f('h2', 20), f('h1'))], want: [copy('a', 'remote')] },
  { name: 'modified on remote: download', states: [p('a', b('h1'), f('h1'), f('h2', 20))], want: [copy('a', 'local')] },
  { name: 'remote hash unknown, local unchanged: counts as changed, download', states: [p('a', b('h1'), f('h1'), fu())], want: [copy('a', 'local')] },
  { name: 'remote hash unknown, local modified: conflict', states: [p('a', b('h1'), f('h2'), fu())], want: [conflict('a', 'both-modified')] },

  // --- deleted on one side -------------------------------------------------
  { name: 'file deleted on local: delete on remote', states: [p('a', b('h1'), _, f('h1'))], want: [del('a', 'remote', 'file')] },
  { name: 'file deleted on remote: delete on local', states: [p('a', b('h1'), f('h1'), _)], want: [del('a', 'local', 'file')] },
  { name: 'empty folder deleted on local: delete on remote', states: [p('d', bd(), _, d())], want: [del('d', 'remote', 'dir')] },
  { name: 'empty folder deleted on remote: delete on local', states: [p('d', bd(), d(), _)], want: [del('d', 'local', 'dir')] },
  {
    name: 'folder with unchanged contents deleted on remote: folder and contents deleted locally',
    states: [p('d', bd(), d(), _), p('d/a', b('h1'), f('h1'), _), p('d/e', bd(), d(), _), p('d/e/b', b('h2'), f('h2'), _)],
    want: [del('d', 'local', 'dir'), del('d/a', 'local', 'file'), del('d/e', 'local', 'dir'), del('d/e/b', 'local', 'file')],
  },
  {
    name: 'folder with unchanged contents deleted on local: folder and contents deleted remotely',
    states: [p('d/a', b('h1'), _, f('h1')), p('d', bd(), _, d())],
    want: [del('d', 'remote', 'dir'), del('d/a', 'remote', 'file')],
  },

  // --- modify vs delete ------------------------------------------------------
  { name: 'modified on local, deleted on remote: modification wins (upload)', states: [p('a', b('h1'), f('h2'), _)], want: [copy('a', 'remote')] },
  { name: 'deleted on local, modified on remote: modification wins (download)', states: [p('a', b('h1'), _, f('h2'))], want: [copy('a', 'local')] },
  { name: 'deleted on local, remote hash unknown: kept (cannot prove unchanged)', states: [p('a', b('h1'), _, fu())], want: [copy('a', 'local')] },

  // --- both deleted ---------------------------------------------------------
  { name: 'file deleted on both sides: forget', states: [p('a', b('h1'), _, _)], want: [forget('a')] },
  { name: 'folder with contents deleted on both sides: forget all', states: [p('d', bd(), _, _), p('d/a', b('h1'), _, _)], want: [forget('d'), forget('d/a')] },

  // --- same change on both sides ---------------------------------------------
  { name: 'same modification on both sides: record', states: [p('a', b('h1'), f('h2', 20, MTIME + 1), f('h2', 20, MTIME + 2))], want: [rec('a')] },
  { name: 'file replaced by folder on both sides: record', states: [p('x', b('h1'), d(), d())], want: [rec('x')] },
  {
    name: 'folder replaced by the same file on both sides: record, contents forgotten',
    states: [p('d', bd(), f('h9'), f('h9')), p('d/a', b('h1'), _, _)],
    want: [rec('d'), forget('d/a')],
  },

  // --- different changes ----------------------------------------------------
  { name: 'modified differently on both sides: conflict', states: [p('a', b('h1'), f('h2'), f('h3'))], want: [conflict('a', 'both-modified')] },
  {
    name: 'folder replaced by different files on both sides: conflict, nothing inside touched',
    states: [p('d', bd(), f('h2'), f('h3')), p('d/a', b('h1'), _, _)],
    want: [conflict('d', 'both-modified')],
  },

  // --- kind changes on one side ----------------------------------------------
  { name: 'file replaced by folder on local: mkdir on remote replaces file', states: [p('x', b('h1'), d(), f('h1'))], want: [mkdir('x', 'remote', 'file')] },
  {
    name: 'file replaced by folder with contents on remote: mkdir on local replaces file, then contents',
    states: [p('x', b('h1'), f('h1'), d()), p('x/a', _, _, f('h2'))],
    want: [mkdir('x', 'local', 'file'), copy('x/a', 'local')],
  },
  {
    name: 'folder replaced by file on local, remote contents unchanged: replace and delete contents',
    states: [p('d', bd(), f('h9'), d()), p('d/a', b('h1'), _, f('h1')), p('d/e', bd(), _, d()), p('d/e/b', b('h2'), _, f('h2'))],
    want: [copy('d', 'remote', 'dir'), del('d/a', 'remote', 'file'), del('d/e', 'remote', 'dir'), del('d/e/b', 'remote', 'file')],
  },
  { name: 'empty folder replaced by file on remote: copy to local replaces folder', states: [p('d', bd(), d(), f('h9'))], want: [copy('d', 'local', 'dir')] },
  { name: 'file deleted on remote, turned into a folder on local: mkdir on remote', states: [p('x', b('h1'), d(), _)], want: [mkdir('x', 'remote')] },
  {
    name: 'folder deleted on local, replaced by a file on remote: file wins, contents forgotten',
    states: [p('d', bd(), _, f('h9')), p('d/a', b('h1'), _, _)],
    want: [copy('d', 'local'), forget('d/a')],
  },

  // --- kind mismatch conflicts -----------------------------------------------
  {
    name: 'file turned into folder on local, modified on remote: kind mismatch, folder contents untouched',
    states: [p('x', b('h1'), d(), f('h2')), p('x/new', _, f('h3'), _)],
    want: [conflict('x', 'kind-mismatch')],
  },
  {
    name: 'file modified on local, turned into folder on remote: kind mismatch, folder contents untouched',
    states: [p('x', b('h1'), f('h2'), d()), p('x/new', _, _, f('h3')), p('x/sub', _, _, d())],
    want: [conflict('x', 'kind-mismatch')],
  },

  // --- folder rules -----------------------------------------------------------
  {
    name: 'folder deleted on local, file added inside on remote: folder kept (mkdir local)',
    states: [p('d', bd(), _, d()), p('d/new', _, _, f('h5'))],
    want: [mkdir('d', 'local'), copy('d/new', 'local')],
  },
  {
    name: 'folder deleted on local, file changed inside on remote: folder and change kept, unchanged sibling deleted',
    states: [p('d', bd(), _, d()), p('d/a', b('h1'), _, f('h1')), p('d/b', b('h2'), _, f('h22'))],
    want: [mkdir('d', 'local'), del('d/a', 'remote', 'file'), copy('d/b', 'local')],
  },
  {
    name: 'folder deleted on local, file inside touched on remote (hash unknown): folder kept',
    states: [p('d', bd(), _, d()), p('d/a', b('h1'), _, fu())],
    want: [mkdir('d', 'local'), copy('d/a', 'local')],
  },
  {
    name: 'folder deleted on remote, file added inside on local: folder kept (mkdir remote)',
    states: [p('d', bd(), d(), _), p('d/a', b('h1'), f('h1'), _), p('d/new', _, f('h5'), _)],
    want: [mkdir('d', 'remote'), del('d/a', 'local', 'file'), copy('d/new', 'remote')],
  },
  {
    name: 'folder deleted on remote, deep file changed on local: every ancestor kept',
    states: [
      p('d', bd(), d(), _),
      p('d/e', bd(), d(), _),
      p('d/e/f', bd(), d(), _),
      p('d/e/f/changed.txt', b('h1'), f('h2'), _),
      p('d/e/f/same.txt', b('h3'), f('h3'), _),
      p('d/other', bd(), d(), _),
      p('d/other/x', b('h4'), f('h4'), _),
    ],
    want: [
      mkdir('d', 'remote'),
      mkdir('d/e', 'remote'),
      mkdir('d/e/f', 'remote'),
      copy('d/e/f/changed.txt', 'remote'),
      del('d/e/f/same.txt', 'local', 'file'),
      del('d/other', 'local', 'dir'),
      del('d/other/x', 'local', 'file'),
    ],
  },
  {
    name: 'folder deleted on local, empty subfolder added on remote: folder kept',
    states: [p('d', bd(), _, d()), p('d/sub', _, _, d())],
    want: [mkdir('d', 'local'), mkdir('d/sub', 'local')],
  },
  {
    name: 'folder deleted on local, file inside replaced by folder on remote: kept',
    states: [p('d', bd(), _, d()), p('d/a', b('h1'), _, d()), p('d/a/x', _, _, f('h2'))],
    want: [mkdir('d', 'local'), mkdir('d/a', 'local'), copy('d/a/x', 'local')],
  },
  {
    name: 'folder deleted on local: new siblings sharing its name prefix do not keep it',
    states: [p('d-x', _, _, f('h7')), p('d b', _, _, f('h6')), p('d/a', b('h1'), _, f('h1')), p('d', bd(), _, d())],
    want: [del('d', 'remote', 'dir'), del('d/a', 'remote', 'file'), copy('d b', 'local'), copy('d-x', 'local')],
  },
  {
    name: 'folder replaced by file on local, file changed inside on remote: conflict, nothing inside touched',
    states: [p('d', bd(), f('h9'), d()), p('d/a', b('h1'), _, f('h2')), p('d/b', b('h3'), _, f('h3'))],
    want: [conflict('d', 'folder-replaced-with-changes')],
  },
  {
    name: 'folder replaced by file on remote, file added inside on local: conflict, nothing inside touched',
    states: [p('d', bd(), d(), f('h9')), p('d/a', b('h1'), f('h1'), _), p('d/new', _, f('h2'), _)],
    want: [conflict('d', 'folder-replaced-with-changes')],
  },
  {
    name: 'folder replaced by file on local, empty subfolder added deep on remote: conflict',
    states: [p('d', bd(), f('h9'), d()), p('d/e', bd(), _, d()), p('d/e/new', _, _, d())],
    want: [conflict('d', 'folder-replaced-with-changes')],
  },
  {
    name: 'nested: folder replaced by file, change two levels down: one conflict at the top only',
    states: [p('p', bd(), f('h9'), d()), p('p/d', bd(), _, d()), p('p/d/a', b('h1'), _, f('h2')), p('p/d/b', b('h3'), _, f('h3'))],
    want: [conflict('p', 'folder-replaced-with-changes')],
  },
  {
    name: 'conflict on a file leaves its parent and siblings alone',
    states: [p('d', bd(), d(), d()), p('d/a', b('h1'), f('h2'), f('h3')), p('d/b', b('h4'), f('h5'), f('h4')), p('d/c', b('h6'), f('h6'), f('h6'))],
    want: [conflict('d/a', 'both-modified'), copy('d/b', 'remote')],
  },

  // --- deep paths, names ----------------------------------------------------
  {
    name: 'deep path modified on remote: only that file moves',
    states: [
      p('a', bd(), d(), d()),
      p('a/b', bd(), d(), d()),
      p('a/b/c', bd(), d(), d()),
      p('a/b/c/d', bd(), d(), d()),
      p('a/b/c/d/e', bd(), d(), d()),
      p('a/b/c/d/e/f.txt', b('h1'), f('h1'), f('h2')),
      p('a/b/c/d/e/g.txt', b('h3'), f('h3'), f('h3')),
    ],
    want: [copy('a/b/c/d/e/f.txt', 'local')],
  },
  {
    name: 'names with spaces and unicode: new tree on local',
    states: [
      p('Plans & Specs/Étage 2/plan – rév ü.pdf', _, f('h1'), _),
      p('Plans & Specs/Étage 2', _, d(), _),
      p('Plans & Specs', _, d(), _),
      p('日本語 フォルダ', _, d(), _),
      p('日本語 フォルダ/ファイル 1.txt', _, f('h2'), _),
    ],
    want: [
      mkdir('Plans & Specs', 'remote'),
      mkdir('Plans & Specs/Étage 2', 'remote'),
      copy('Plans & Specs/Étage 2/plan – rév ü.pdf', 'remote'),
      mkdir('日本語 フォルダ', 'remote'),
      copy('日本語 フォルダ/ファイル 1.txt', 'remote'),
    ],
  },
  {
    name: 'unicode folder deleted on remote with emoji file changed locally: kept',
    states: [p('Café 🏗', bd(), d(), _), p('Café 🏗/naïve 📐.dwg', b('h1'), f('h2'), _), p('Café 🏗 old', b('h3'), f('h3'), _)],
    want: [mkdir('Café 🏗', 'remote'), copy('Café 🏗/naïve 📐.dwg', 'remote'), del('Café 🏗 old', 'local', 'file')],
  },
  {
    name: 'many unrelated paths in one tree, given in scrambled order',
    states: [
      p('z.txt', b('h1'), _, _),
      p('m/n.txt', b('h2'), f('h2'), _),
      p('m', bd(), d(), d()),
      p('a.txt', _, f('h3'), _),
      p('k.txt', b('h4'), f('h5'), f('h6')),
      p('m/o.txt', _, _, f('h7')),
      p('b.txt', b('h8'), f('h8'), f('h8')),
    ],
    want: [copy('a.txt', 'remote'), conflict('k.txt', 'both-modified'), del('m/n.txt', 'local', 'file'), copy('m/o.txt', 'local'), forget('z.txt')],
  },
];

describe('reconcile', () => {
  it('has a table of at least 45 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name', ({ states, want }) => {
    const clone = (): PathState[] => structuredClone(states);
    const forward = reconcile(clone()).actions;
    expect(forward.map(strip)).toEqual(want);
    for (const a of forward) expect(a.reason.length).toBeGreaterThan(0);
    // Input order never matters: the result is always in tree order.
    expect(reconcile(clone().reverse()).actions.map(strip)).toEqual(want);
  });
});

describe('clean paths (both sides known to hold the base, no entries)', () => {
  const clean = (path: string, base: BaseEntry): PathState => ({ path, base, clean: true });

  it('need nothing', () => {
    expect(reconcile([clean('a.json', b('h1')), clean('d', bd())]).actions).toEqual([]);
  });

  it('count as kept on both sides for the folder rules', () => {
    // A clean sibling subtree does not stop a real deletion next to it.
    const actions = reconcile([p('gone', bd(), _, d()), p('gone/x.json', b('h'), _, f('h')), clean('kept', bd()), clean('kept/y.json', b('y'))]).actions;
    expect(actions.map(strip)).toEqual([del('gone', 'remote', 'dir'), del('gone/x.json', 'remote', 'file')]);
    // And a clean path inside a folder replaced by a file keeps the folder: a conflict, not a deletion.
    const replaced = reconcile([p('m', bd(), f('new'), d()), clean('m/z.json', b('z'))]).actions;
    expect(replaced.map(strip)).toEqual([conflict('m', 'folder-replaced-with-changes')]);
  });
});

// ---------------------------------------------------------------------------
// needsRemoteHash
// ---------------------------------------------------------------------------

describe('needsRemoteHash', () => {
  const rows: [string, PathState, boolean][] = [
    ['no base, both files, remote hash unknown', p('a', _, f('h1'), fu()), true],
    ['base, local changed, remote hash unknown', p('a', b('h1'), f('h2'), fu()), true],
    ['base folder, local now a file, remote hash unknown', p('a', bd(), f('h2'), fu()), true],
    ['base, local unchanged, remote hash unknown', p('a', b('h1'), f('h1'), fu()), false],
    ['base, local deleted, remote hash unknown', p('a', b('h1'), _, fu()), false],
    ['local is a folder', p('a', b('h1'), d(), fu()), false],
    ['remote hash already known', p('a', b('h1'), f('h2'), f('h1')), false],
    ['remote is a folder', p('a', _, f('h1'), d()), false],
    ['remote absent', p('a', b('h1'), f('h2'), _), false],
  ];
  it.each(rows)('%s -> %s', (_name, state, want) => {
    expect(needsRemoteHash(state)).toBe(want);
  });
});

// ---------------------------------------------------------------------------
// sameMtime / knownRemoteHash
// ---------------------------------------------------------------------------

describe('sameMtime', () => {
  const rows: [number, number, number, boolean][] = [
    // precision 1 ms: equal to the millisecond (fractions ignored)
    [1000, 1000, 1, true],
    [1000, 1000.9, 1, true],
    [1000, 1001, 1, false],
    [1000, 999, 1, false],
    [1000.9, 1001.1, 1, false], // truncated to whole ms, not "less than 1 ms apart"
    // precision 0 behaves like 1 ms
    [1000.2, 1000.7, 0, true],
    [1000, 1001, 0, false],
    // precision 1000 ms: same second
    [1_700_000_000_000, 1_700_000_000_999, 1000, true],
    [1_700_000_000_123, 1_700_000_000_000, 1000, true],
    [1_700_000_000_000, 1_700_000_001_000, 1000, false],
    [1_700_000_000_999, 1_700_000_001_000, 1000, false],
  ];
  it.each(rows)('sameMtime(%d, %d, precision %d) -> %s', (a, bb, prec, want) => {
    expect(sameMtime(a, bb, prec)).toBe(want);
    expect(sameMtime(bb, a, prec)).toBe(want);
  });
});

describe('knownRemoteHash', () => {
  const rows: [string, BaseEntry | undefined, FileEntry, number, string | undefined][] = [
    ['no base', _, f('x'), 1, _],
    ['base is a folder', bd(), f('x'), 1, _],
    ['size and mtime match exactly (1 ms)', b('h1'), fu(SIZE, MTIME), 1, 'h1'],
    ['size differs', b('h1'), fu(SIZE + 1, MTIME), 1, _],
    ['mtime 1 ms later at 1 ms precision', b('h1'), fu(SIZE, MTIME + 1), 1, _],
    ['mtime 1 ms later at 1000 ms precision', b('h1'), fu(SIZE, MTIME + 1), 1000, 'h1'],
    ['mtime 999 ms later, same second, at 1000 ms precision', b('h1'), fu(SIZE, MTIME + 999), 1000, 'h1'],
    ['mtime in next second at 1000 ms precision', b('h1'), fu(SIZE, MTIME + 1000), 1000, _],
    ['compares with the base remote stats, not local ones', b('h1', { ls: 99, lm: 5, rs: 7, rm: MTIME + 3 }), fu(7, MTIME + 3), 1, 'h1'],
    ['local stats match but remote ones do not', b('h1', { ls: 7, lm: MTIME + 3, rs: 8 }), fu(7, MTIME + 3), 1, _],
  ];
  it.each(rows)('%s', (_name, base, remote, prec, want) => {
    expect(knownRemoteHash(base, remote, prec)).toBe(want);
  });

  it('feeds reconcile: a remote whose stats match the base counts as unchanged', () => {
    const base = b('h1');
    const listed: FileEntry = { kind: 'file', size: SIZE, mtimeMs: MTIME + 500 };
    const remote: FileEntry = { ...listed, hash: knownRemoteHash(base, listed, 1000) };
    const ok = reconcile([p('a', base, f('h2'), remote)]).actions.map(strip);
    expect(ok).toEqual([copy('a', 'remote')]);
    // At 1 ms precision the same listing is "changed", and the local change becomes a conflict.
    const strict: FileEntry = { ...listed, hash: knownRemoteHash(base, listed, 1) };
    expect(reconcile([p('a', base, f('h2'), strict)]).actions.map(strip)).toEqual([conflict('a', 'both-modified')]);
  });
});

describe('racy remote stats (seen within a second of their mtime)', () => {
  const racyBase = (hash: string): BaseEntry => ({ kind: 'file', hash, local: { size: SIZE, mtimeMs: MTIME }, remote: { size: SIZE, mtimeMs: MTIME, racy: true } });

  it('never vouch for the content: the hash must be learned', () => {
    expect(knownRemoteHash(racyBase('h'), f('h'), 1000)).toBeUndefined();
    expect(knownRemoteHash(b('h'), { kind: 'file', size: SIZE, mtimeMs: MTIME }, 1000)).toBe('h');
  });

  it('once learned equal, the base is recorded again (so the flag clears); learned different, it is a change', () => {
    expect(reconcile([p('x', racyBase('h'), f('h'), f('h'))]).actions.map(strip)).toEqual([rec('x')]);
    expect(reconcile([p('x', racyBase('h'), f('h'), f('other'))]).actions.map(strip)).toEqual([copy('x', 'local')]);
  });
});
