/**
 * Automatic conflict policies, end to end: two project folders, one remote,
 * one scenario per policy and per kind of file. Each asserts the final
 * content on both sides, that every discarded version is in the backups, and
 * that it can be restored.
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, twoSided, write, type TwoSided } from '../helpers/cli.js';

const OLD = new Date('2026-01-01T10:00:00Z');
const NEWER = new Date('2026-01-01T11:00:00Z');

function touch(root: string, rel: string, when: Date): void {
  utimesSync(join(root, rel), when, when);
}

/** a and b synced with `files`, then each edits some of them (a's edits are synced first). */
function project(files: Record<string, string>, sync: Record<string, unknown> = {}): TwoSided {
  const t = twoSided('pol', { sync: { enabled: true, remote_path: '/projects/pol', conflict_resolution: 'auto', ...sync } });
  for (const [p, c] of Object.entries({ 'rules/keep.json': '{}', ...files })) write(t.a, p, c);
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

function edit(t: TwoSided, side: 'a' | 'b', rel: string, content: string, when: Date): void {
  write(side === 'a' ? t.a : t.b, rel, content);
  touch(side === 'a' ? t.a : t.b, rel, when);
}

/** a syncs its edits; b (with its own edits) syncs and meets the conflicts. */
function meet(t: TwoSided): ReturnType<TwoSided['syncJson']> {
  expect(t.sync('a').code).toBe(0);
  return t.syncJson('b');
}

function backups(t: TwoSided, side: 'a' | 'b'): { sync_id: string; path: string; side: string; location: string }[] {
  const r = t.run(side, 'backups', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('symbols: the most recent version wins', () => {
  it('keeps the newer local version, pushes it, and keeps the older remote one restorable', () => {
    const t = project({ 'symbols/ahu.json': '{"v":0}' });
    edit(t, 'a', 'symbols/ahu.json', '{"v":"a, older"}', OLD);
    edit(t, 'b', 'symbols/ahu.json', '{"v":"b, newer"}', NEWER);
    const { code, status } = meet(t);
    expect(code, JSON.stringify(status.errors)).toBe(0);
    expect(status.conflicts_resolved).toBe(1);
    expect(status.resolved[0]).toMatchObject({ path: 'symbols/ahu.json', kind: 'symbol', policy: 'latest', outcome: 'local-won' });
    expect(read(t.remote, 'symbols/ahu.json')).toBe('{"v":"b, newer"}');
    expect(read(t.b, 'symbols/ahu.json')).toBe('{"v":"b, newer"}');
    const kept = backups(t, 'b').filter((k) => k.path === 'symbols/ahu.json');
    expect(kept).toEqual([expect.objectContaining({ side: 'remote' })]);
    expect(read(t.b, kept[0]!.location)).toBe('{"v":"a, older"}');
    // a follows the winner.
    expect(t.sync('a').code).toBe(0);
    expect(read(t.a, 'symbols/ahu.json')).toBe('{"v":"b, newer"}');
    // The discarded version comes back with restore, and the next sync propagates it.
    const r = t.run('b', 'restore', kept[0]!.sync_id, 'symbols/ahu.json');
    expect(r.code, r.stderr).toBe(0);
    expect(read(t.b, 'symbols/ahu.json')).toBe('{"v":"a, older"}');
    expect(t.sync('b').code).toBe(0);
    expect(read(t.remote, 'symbols/ahu.json')).toBe('{"v":"a, older"}');
  });

  it('takes the newer remote version and keeps the local one', () => {
    const t = project({ 'symbols/vav.json': '{"v":0}' });
    edit(t, 'a', 'symbols/vav.json', '{"v":"a, newer"}', NEWER);
    edit(t, 'b', 'symbols/vav.json', '{"v":"b, older"}', OLD);
    const { code, status } = meet(t);
    expect(code).toBe(0);
    expect(status.resolved[0]).toMatchObject({ outcome: 'remote-won' });
    expect(read(t.b, 'symbols/vav.json')).toBe('{"v":"a, newer"}');
    const kept = backups(t, 'b').find((k) => k.path === 'symbols/vav.json')!;
    expect(kept.side).toBe('local');
    expect(read(t.b, kept.location)).toBe('{"v":"b, older"}');
  });

  it('never guesses: equal times or a time in the future leave the conflict open', () => {
    const t = project({ 'symbols/a.json': '0', 'symbols/b.json': '0' });
    edit(t, 'a', 'symbols/a.json', 'a1', OLD);
    edit(t, 'b', 'symbols/a.json', 'b1', OLD);
    const future = new Date(Date.now() + 24 * 3600 * 1000);
    edit(t, 'a', 'symbols/b.json', 'a2', OLD);
    edit(t, 'b', 'symbols/b.json', 'b2', future);
    const { code, status } = meet(t);
    expect(code).toBe(3);
    expect(status.conflicts_resolved).toBe(0);
    const reasons = Object.fromEntries(status.conflicts.map((c: { path: string; reason: string }) => [c.path, c.reason]));
    expect(reasons['symbols/a.json']).toContain('same modification time');
    expect(reasons['symbols/b.json']).toContain('in the future');
    expect(read(t.b, 'symbols/a.json')).toBe('b1');
    expect(read(t.remote, 'symbols/a.json')).toBe('a1');
  });
});

describe('configuration: merged', () => {
  it('merges arxfile.json three ways, keeps its 4-space indent, and keeps both versions', () => {
    const t = twoSided('pol', {});
    const base = { project_id: 'pol', name: 'Tower', remote: { type: 'local', path: t.remoteRoot }, permissions: { owner: 'ann', editors: ['bob'] }, sync: { conflict_resolution: 'auto' } };
    for (const d of [t.a, t.b]) writeFileSync(join(d, 'arxfile.json'), JSON.stringify(base, null, 4) + '\n');
    write(t.a, 'rules/keep.json', '{}');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...base, permissions: { owner: 'ann', editors: ['bob', 'carol'] } }, null, 4) + '\n');
    writeFileSync(join(t.b, 'arxfile.json'), JSON.stringify({ ...base, name: 'Tower B', permissions: { owner: 'ann', editors: ['bob', 'dave'] } }, null, 4) + '\n');
    const { code, status } = meet(t);
    expect(code, JSON.stringify(status.conflicts)).toBe(0);
    expect(status.resolved[0]).toMatchObject({ path: 'arxfile.json', kind: 'config', policy: 'merge', outcome: 'merged' });
    const merged = read(t.b, 'arxfile.json');
    expect(JSON.parse(merged)).toMatchObject({ name: 'Tower B', permissions: { owner: 'ann', editors: ['bob', 'dave', 'carol'] } });
    expect(merged).toContain('\n    "name"');
    expect(merged.endsWith('}\n')).toBe(true);
    expect(read(t.remote, 'arxfile.json')).toBe(merged);
    const kept = backups(t, 'b').filter((k) => k.path === 'arxfile.json');
    expect(kept.map((k) => k.side).sort()).toEqual(['local', 'remote']);
    expect(t.sync('a').code).toBe(0);
    expect(read(t.a, 'arxfile.json')).toBe(merged);
  });

  it('leaves a clash open and names the JSON path', () => {
    const t = project({ 'rules/clearance.json': '{"min_m": 1, "applies_to": ["panel"]}\n' });
    edit(t, 'a', 'rules/clearance.json', '{"min_m": 1.2, "applies_to": ["panel"]}\n', NEWER);
    edit(t, 'b', 'rules/clearance.json', '{"min_m": 0.9, "applies_to": ["panel"]}\n', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(3);
    expect(status.conflicts[0].reason).toContain('min_m');
    expect(read(t.b, 'rules/clearance.json')).toContain('0.9');
    expect(read(t.remote, 'rules/clearance.json')).toContain('1.2');
  });

  it('leaves invalid JSON open', () => {
    const t = project({ 'rules/r.json': '{"a": 1}\n' });
    edit(t, 'a', 'rules/r.json', '{"a": 2}\n', NEWER);
    edit(t, 'b', 'rules/r.json', '{"a": ', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(3);
    expect(status.conflicts[0].reason).toContain('not valid JSON on local');
  });

  it('merges .arxignore line by line', () => {
    const t = project({ '.arxignore': '*.tmp\n*.bak\n' });
    edit(t, 'a', '.arxignore', '*.tmp\n*.bak\n*.log\n', NEWER);
    edit(t, 'b', '.arxignore', '*.tmp\n*.swp\n', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(0);
    expect(status.resolved[0]).toMatchObject({ path: '.arxignore', outcome: 'merged' });
    expect(read(t.b, '.arxignore')).toBe('*.tmp\n*.swp\n*.log\n');
    expect(read(t.remote, '.arxignore')).toBe('*.tmp\n*.swp\n*.log\n');
  });
});

describe('models: the local version wins', () => {
  it('pushes the local model and downloads the remote one into the backups first', () => {
    const t = project({ 'models/core.ifc': 'IFC v0' });
    edit(t, 'a', 'models/core.ifc', 'IFC from a', NEWER);
    edit(t, 'b', 'models/core.ifc', 'IFC from b', OLD);
    const { code, status } = meet(t);
    expect(code).toBe(0);
    expect(status.resolved[0]).toMatchObject({ kind: 'model', policy: 'local', outcome: 'local-won' });
    expect(read(t.remote, 'models/core.ifc')).toBe('IFC from b');
    const kept = backups(t, 'b').find((k) => k.path === 'models/core.ifc')!;
    expect(kept.side).toBe('remote');
    expect(read(t.b, kept.location)).toBe('IFC from a');
    expect(status.resolved[0].backups).toEqual([{ side: 'remote', location: kept.location }]);
  });
});

describe('anything else: manual, unless a rule says otherwise', () => {
  it('leaves other files to the user', () => {
    const t = project({ 'reports/summary.md': 'v0' });
    edit(t, 'a', 'reports/summary.md', 'a', NEWER);
    edit(t, 'b', 'reports/summary.md', 'b', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(3);
    expect(status.conflicts[0]).toMatchObject({ path: 'reports/summary.md', policy: 'manual' });
  });

  it('conflict_rules come first: keep-both, remote, and manual over a built-in kind', () => {
    const t = project(
      { 'reports/summary.md': 'v0', 'symbols/pinned.json': '0', 'models/m.ifc': '0' },
      {
        conflict_rules: [
          { pattern: 'reports/*.md', policy: 'keep-both' },
          { pattern: 'symbols/pinned.json', policy: 'manual' },
          { pattern: '*.ifc', policy: 'remote' },
        ],
      },
    );
    edit(t, 'a', 'reports/summary.md', 'from a', OLD);
    edit(t, 'b', 'reports/summary.md', 'from b', NEWER);
    edit(t, 'a', 'symbols/pinned.json', 'a', OLD);
    edit(t, 'b', 'symbols/pinned.json', 'b', NEWER);
    edit(t, 'a', 'models/m.ifc', 'model a', OLD);
    edit(t, 'b', 'models/m.ifc', 'model b', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(3); // the pinned symbol stays open
    expect(status.conflicts.map((c: { path: string }) => c.path)).toEqual(['symbols/pinned.json']);
    const byPath = Object.fromEntries(status.resolved.map((r: { path: string }) => [r.path, r]));
    expect(byPath['reports/summary.md']).toMatchObject({ policy: 'keep-both', outcome: 'kept-both' });
    const copy = byPath['reports/summary.md'].conflict_copy as string;
    expect(copy).toMatch(/^reports\/summary\.conflict-remote-\d{8}-\d{6}\.md$/);
    expect(read(t.b, 'reports/summary.md')).toBe('from b');
    expect(read(t.b, copy)).toBe('from a');
    expect(byPath['models/m.ifc']).toMatchObject({ policy: 'remote', outcome: 'remote-won' });
    expect(read(t.b, 'models/m.ifc')).toBe('model a');
    expect(t.sync('a').code).toBe(0); // the open conflict is b's to settle: the remote still holds a's version
    expect(read(t.a, copy)).toBe('from a');
    expect(read(t.a, 'reports/summary.md')).toBe('from b');
  });

  it('rules apply under conflict_resolution "manual" too; kinds do not', () => {
    const t = project({ 'symbols/s.json': '0', 'models/m.ifc': '0' }, { conflict_resolution: 'manual', conflict_rules: [{ pattern: 'models/', policy: 'local' }] });
    edit(t, 'a', 'symbols/s.json', 'a', OLD);
    edit(t, 'b', 'symbols/s.json', 'b', NEWER);
    edit(t, 'a', 'models/m.ifc', 'a', OLD);
    edit(t, 'b', 'models/m.ifc', 'b', NEWER);
    const { code, status } = meet(t);
    expect(code).toBe(3);
    expect(status.conflicts.map((c: { path: string }) => c.path)).toEqual(['symbols/s.json']);
    expect(status.resolved.map((r: { path: string }) => r.path)).toEqual(['models/m.ifc']);
  });

  it('a bad conflict rule is a configuration error', () => {
    const t = project({});
    const arxfile = JSON.parse(read(t.a, 'arxfile.json'));
    arxfile.sync.conflict_rules = [{ pattern: 'x', policy: 'newest' }];
    write(t.a, 'arxfile.json', JSON.stringify(arxfile));
    const r = t.run('a', 'sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sync.conflict_rules[0].policy');
  });
});

describe('dry run and history', () => {
  it('--dry-run shows the decision each conflict would get and changes nothing', () => {
    const t = project({ 'symbols/x.json': '0', 'reports/r.md': '0' });
    edit(t, 'a', 'symbols/x.json', 'a', OLD);
    edit(t, 'b', 'symbols/x.json', 'b', NEWER);
    edit(t, 'a', 'reports/r.md', 'a', OLD);
    edit(t, 'b', 'reports/r.md', 'b', NEWER);
    expect(t.sync('a').code).toBe(0);
    const dry = t.syncJson('b', '--dry-run');
    expect(dry.code).toBe(0);
    const plan = Object.fromEntries(dry.status.plan.map((p: { path: string }) => [p.path, p]));
    expect(plan['symbols/x.json']).toMatchObject({ action: 'resolve-latest' });
    expect(plan['symbols/x.json'].reason).toContain('the local version is newer');
    expect(plan['reports/r.md']).toMatchObject({ action: 'conflict' });
    expect(read(t.b, 'symbols/x.json')).toBe('b');
    expect(read(t.remote, 'symbols/x.json')).toBe('a');
    const human = t.run('b', 'sync', '--dry-run');
    expect(human.stdout).toMatch(/resolve-latest\s+symbols\/x\.json/);
  });

  it('prunes backup sets older than backup_retention_days after a successful sync', () => {
    const t = project({ 'symbols/x.json': '0' }, { backup_retention_days: 7 });
    const old = join(t.b, '.arx/backups/sync_20200101_000000');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, 'manifest.jsonl'), JSON.stringify({ path: 'a', side: 'local', size: 1, kept_at: '2020-01-01T00:00:00.000Z', stored: 'a' }) + '\n');
    writeFileSync(join(old, 'a'), 'x');
    const recent = join(t.b, '.arx/backups/sync_29990101_000000');
    mkdirSync(recent, { recursive: true });
    writeFileSync(join(recent, 'manifest.jsonl'), JSON.stringify({ path: 'b', side: 'local', size: 1, kept_at: new Date().toISOString(), stored: 'b' }) + '\n');
    expect(t.sync('b').code).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(readdirSync(join(t.b, '.arx/backups'))).toEqual(['sync_29990101_000000']);
  });

  it('restore names what it cannot find', () => {
    const t = project({});
    const r = t.run('a', 'restore', 'sync_19990101_000000');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no backup set sync_19990101_000000');
  });
});
