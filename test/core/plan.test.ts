/**
 * Tests for ordering a reconciliation into execution phases.
 */
import { describe, expect, it } from 'vitest';
import type { BaseEntry, Entry, EntryKind, Side } from '../../src/core/entry.js';
import { buildPlan, countPlan, planActions, type Plan } from '../../src/core/plan.js';
import { reconcile, type Action, type ConflictKind, type PathState } from '../../src/core/reconcile.js';

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const R = 'test';
const copy = (path: string, to: Side, replaces?: EntryKind): Action => ({ path, type: 'copy', to, kind: 'file', reason: R, ...(replaces ? { replaces } : {}) });
const mkdir = (path: string, to: Side, replaces?: EntryKind): Action => ({ path, type: 'mkdir', to, kind: 'dir', reason: R, ...(replaces ? { replaces } : {}) });
const del = (path: string, to: Side, kind: EntryKind): Action => ({ path, type: 'delete', to, kind, reason: R });
const rec = (path: string): Action => ({ path, type: 'record', reason: R });
const forget = (path: string): Action => ({ path, type: 'forget', reason: R });
const conflict = (path: string, kind: ConflictKind = 'both-modified'): Action => ({ path, type: 'conflict', conflict: kind, reason: R });

const paths = (as: Action[]): string[] => as.map((a) => a.path);

// ---------------------------------------------------------------------------
// buildPlan: which bucket
// ---------------------------------------------------------------------------

type Bucket = keyof Plan;

describe('buildPlan buckets', () => {
  const rows: [string, Action, Bucket][] = [
    ['record', rec('a'), 'records'],
    ['forget', forget('a'), 'records'],
    ['mkdir', mkdir('d', 'remote'), 'mkdirs'],
    ['mkdir replacing a file', mkdir('d', 'local', 'file'), 'mkdirs'],
    ['plain upload', copy('a', 'remote'), 'copies'],
    ['plain download', copy('a', 'local'), 'copies'],
    ['copy replacing a folder', copy('d', 'remote', 'dir'), 'replacements'],
    ['file delete', del('a', 'local', 'file'), 'fileDeletes'],
    ['folder delete', del('d', 'remote', 'dir'), 'dirDeletes'],
    ['conflict', conflict('a'), 'conflicts'],
    ['folder-replaced conflict', conflict('d', 'folder-replaced-with-changes'), 'conflicts'],
  ];
  it.each(rows)('%s goes to %s', (_name, action, bucket) => {
    const plan = buildPlan([action]);
    for (const key of Object.keys(plan) as Bucket[]) {
      expect(plan[key], key).toEqual(key === bucket ? [action] : []);
    }
  });
});

// ---------------------------------------------------------------------------
// buildPlan: ordering
// ---------------------------------------------------------------------------

describe('buildPlan ordering', () => {
  it('orders mkdirs shallowest first', () => {
    const plan = buildPlan([mkdir('a/b/c', 'remote'), mkdir('x', 'local'), mkdir('a/b', 'remote'), mkdir('a', 'remote'), mkdir('x/y', 'local')]);
    const depths = plan.mkdirs.map((a) => a.path.split('/').length);
    expect(depths).toEqual([...depths].sort((p, q) => p - q));
    expect(paths(plan.mkdirs).indexOf('a')).toBeLessThan(paths(plan.mkdirs).indexOf('a/b'));
    expect(paths(plan.mkdirs).indexOf('a/b')).toBeLessThan(paths(plan.mkdirs).indexOf('a/b/c'));
    expect(paths(plan.mkdirs).indexOf('x')).toBeLessThan(paths(plan.mkdirs).indexOf('x/y'));
  });

  it('orders folder deletes deepest first', () => {
    const plan = buildPlan([del('a', 'local', 'dir'), del('a/b', 'local', 'dir'), del('z', 'remote', 'dir'), del('a/b/c', 'local', 'dir'), del('z/y', 'remote', 'dir')]);
    const depths = plan.dirDeletes.map((a) => a.path.split('/').length);
    expect(depths).toEqual([...depths].sort((p, q) => q - p));
    expect(paths(plan.dirDeletes).indexOf('a/b/c')).toBeLessThan(paths(plan.dirDeletes).indexOf('a/b'));
    expect(paths(plan.dirDeletes).indexOf('a/b')).toBeLessThan(paths(plan.dirDeletes).indexOf('a'));
    expect(paths(plan.dirDeletes).indexOf('z/y')).toBeLessThan(paths(plan.dirDeletes).indexOf('z'));
  });

  it('keeps conflicts apart and runs no action for them', () => {
    const c1 = conflict('a');
    const c2 = conflict('d', 'kind-mismatch');
    const plan = buildPlan([c1, copy('b', 'remote'), c2]);
    expect(plan.conflicts).toEqual([c1, c2]);
    expect(plan.copies).toEqual([copy('b', 'remote')]);
    expect(planActions(plan).slice(-2)).toEqual([c1, c2]);
  });

  it('planActions runs phases in order: records, mkdirs, copies, file deletes, folder deletes, replacements, conflicts', () => {
    const actions = [
      conflict('k'),
      copy('r', 'remote', 'dir'),
      del('dd', 'local', 'dir'),
      del('fd', 'local', 'file'),
      copy('c', 'local'),
      mkdir('m', 'remote'),
      rec('rec'),
    ];
    expect(paths(planActions(buildPlan(actions)))).toEqual(['rec', 'm', 'c', 'fd', 'dd', 'r', 'k']);
  });

  it('a folder replaced by a file: its contents are deleted before the replacing copy', () => {
    const dir: BaseEntry = { kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } };
    const bf = (hash: string): BaseEntry => ({ kind: 'file', hash, local: { size: 1, mtimeMs: 1 }, remote: { size: 1, mtimeMs: 1 } });
    const f = (hash: string): Entry => ({ kind: 'file', size: 1, mtimeMs: 1, hash });
    const states: PathState[] = [
      { path: 'd', base: dir, local: f('new'), remote: { kind: 'dir' } },
      { path: 'd/e', base: dir, remote: { kind: 'dir' } },
      { path: 'd/e/x', base: bf('h1'), remote: f('h1') },
      { path: 'd/y', base: bf('h2'), remote: f('h2') },
    ];
    const plan = buildPlan(reconcile(states).actions);
    expect(paths(plan.replacements)).toEqual(['d']);
    expect(plan.replacements[0]).toMatchObject({ type: 'copy', to: 'remote', replaces: 'dir' });
    expect(paths(plan.fileDeletes).sort()).toEqual(['d/e/x', 'd/y']);
    expect(paths(plan.dirDeletes)).toEqual(['d/e']);
    const order = paths(planActions(plan));
    for (const p of ['d/e/x', 'd/y', 'd/e']) expect(order.indexOf(p)).toBeLessThan(order.indexOf('d'));
  });

  it('a deleted tree from reconcile: folder deletes come out deepest first, after file deletes', () => {
    const dir: BaseEntry = { kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } };
    const bf: BaseEntry = { kind: 'file', hash: 'h', local: { size: 1, mtimeMs: 1 }, remote: { size: 1, mtimeMs: 1 } };
    const f: Entry = { kind: 'file', size: 1, mtimeMs: 1, hash: 'h' };
    const states: PathState[] = [
      { path: 'a', base: dir, remote: { kind: 'dir' } },
      { path: 'a/b', base: dir, remote: { kind: 'dir' } },
      { path: 'a/b/c', base: dir, remote: { kind: 'dir' } },
      { path: 'a/b/c/f', base: bf, remote: f },
      { path: 'a/g', base: bf, remote: f },
    ];
    const order = paths(planActions(buildPlan(reconcile(states).actions)));
    expect(order).toEqual(['a/b/c/f', 'a/g', 'a/b/c', 'a/b', 'a']);
  });

  it('a new tree from reconcile: mkdirs shallowest first, before the copies into them', () => {
    const f: Entry = { kind: 'file', size: 1, mtimeMs: 1, hash: 'h' };
    const states: PathState[] = [
      { path: 'n/o/p/q.txt', local: f },
      { path: 'n/o/p', local: { kind: 'dir' } },
      { path: 'n', local: { kind: 'dir' } },
      { path: 'n/o', local: { kind: 'dir' } },
    ];
    expect(paths(planActions(buildPlan(reconcile(states).actions)))).toEqual(['n', 'n/o', 'n/o/p', 'n/o/p/q.txt']);
  });
});

// ---------------------------------------------------------------------------
// countPlan
// ---------------------------------------------------------------------------

describe('countPlan', () => {
  const rows: [string, Action[], ReturnType<typeof countPlan>][] = [
    ['empty plan', [], { uploads: 0, downloads: 0, deletes: 0, conflicts: 0 }],
    ['uploads and downloads', [copy('a', 'remote'), copy('b', 'remote'), copy('c', 'local')], { uploads: 2, downloads: 1, deletes: 0, conflicts: 0 }],
    ['replacements count as transfers', [copy('d', 'remote', 'dir'), copy('e', 'local', 'dir')], { uploads: 1, downloads: 1, deletes: 0, conflicts: 0 }],
    ['only file deletes count as deletes', [del('a', 'local', 'file'), del('b', 'remote', 'file'), del('d', 'remote', 'dir')], { uploads: 0, downloads: 0, deletes: 2, conflicts: 0 }],
    ['records, forgets and mkdirs count as nothing', [rec('a'), forget('b'), mkdir('c', 'remote'), mkdir('d', 'local', 'file')], { uploads: 0, downloads: 0, deletes: 0, conflicts: 0 }],
    ['conflicts', [conflict('a'), conflict('b', 'kind-mismatch'), conflict('c', 'folder-replaced-with-changes')], { uploads: 0, downloads: 0, deletes: 0, conflicts: 3 }],
    [
      'a mixed plan',
      [copy('a', 'remote'), copy('b', 'local'), copy('r', 'local', 'dir'), del('x', 'remote', 'file'), del('y', 'remote', 'dir'), conflict('k'), rec('z'), mkdir('m', 'remote')],
      { uploads: 1, downloads: 2, deletes: 1, conflicts: 1 },
    ],
  ];
  it.each(rows)('%s', (_name, actions, want) => {
    expect(countPlan(buildPlan(actions))).toEqual(want);
  });
});
