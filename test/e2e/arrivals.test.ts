/**
 * The remote is not trusted: arxfile.json and .arxignore arriving from it are
 * checked before they land, bad patterns never crash a sync, and the commands
 * that bring kept versions back work while arxfile.json is broken. A direct
 * write into the remote folder plays the other replica.
 */
import { existsSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, twoSided, write, type TwoSided } from '../helpers/cli.js';

const LATER = new Date(Date.now() + 60_000);

/** Write `content` into the remote folder as if another replica had uploaded it. */
function plant(t: TwoSided, rel: string, content: string): void {
  write(t.remote, rel, content);
  utimesSync(join(t.remote, rel), LATER, LATER);
}

function arxfileOf(root: string): Record<string, any> {
  return JSON.parse(read(root, 'arxfile.json'));
}

function synced(sync: Record<string, unknown> = {}): TwoSided {
  const t = twoSided('arr', { sync: { enabled: true, remote_path: '/projects/arr', ...sync } });
  write(t.a, 'rules/r.json', '{}');
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

function noCrash(r: { code: number; stderr: string }): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |\.cjs:\d+/);
  expect(r.code).not.toBe(1);
}

describe('an arxfile.json arriving from the remote', () => {
  it('is not placed when it does not parse: the local one stays, the remote one is kept aside, the conflict is open', () => {
    const t = synced();
    const good = read(t.a, 'arxfile.json');
    plant(t, 'arxfile.json', '{"project_id": ');
    const dry = t.syncJson('a', '--dry-run');
    expect(dry.status.plan).toContainEqual(expect.objectContaining({ path: 'arxfile.json', action: 'conflict', reason: expect.stringContaining('invalid JSON') }));
    expect(dry.status.conflicts_pending).toBe(1);
    expect(dry.status.files_downloaded).toBe(0);
    const { code, status, stderr } = t.syncJson('a');
    expect(code, stderr).toBe(3);
    expect(read(t.a, 'arxfile.json')).toBe(good);
    expect(status.conflicts).toEqual([expect.objectContaining({ path: 'arxfile.json', kind: 'remote-version-refused', reason: expect.stringContaining('invalid JSON at line 1') })]);
    const kept = status.backups.find((b: { path: string }) => b.path === 'arxfile.json');
    expect(kept).toMatchObject({ side: 'remote' });
    expect(read(t.a, kept.location)).toBe('{"project_id": ');
    // The next sync says the same without keeping that version again, and every command still works.
    const again = t.syncJson('a');
    expect(again.code).toBe(3);
    expect(again.status.conflicts).toEqual([expect.objectContaining({ path: 'arxfile.json', kind: 'remote-version-refused' })]);
    expect(again.status.backups).toEqual([]);
    const listed = t.run('a', 'conflicts', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((c: { path: string }) => c.path)).toEqual(['arxfile.json']);
    // Taking the remote version is refused; keeping the local one puts it back on the remote.
    const remoteWins = t.run('a', 'resolve', 'arxfile.json', '--keep', 'remote');
    expect(remoteWins.code).toBe(2);
    expect(remoteWins.stderr).toContain('the remote version of arxfile.json');
    expect(read(t.a, 'arxfile.json')).toBe(good);
    expect(t.run('a', 'resolve', 'arxfile.json', '--keep', 'local').code).toBe(0);
    expect(read(t.remote, 'arxfile.json')).toBe(good);
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
  });

  it('is not placed when the schema rejects it or a pattern in it is unusable', () => {
    const t = synced();
    const good = read(t.b, 'arxfile.json');
    const bad = arxfileOf(t.b);
    bad.sync.parallel = 1000;
    plant(t, 'arxfile.json', JSON.stringify(bad));
    let r = t.syncJson('b');
    expect(r.code).toBe(3);
    expect(r.status.conflicts[0].reason).toContain('sync.parallel');
    expect(read(t.b, 'arxfile.json')).toBe(good);
    bad.sync.parallel = 2;
    bad.sync.exclude_patterns = ['x'.repeat(5000)];
    plant(t, 'arxfile.json', JSON.stringify(bad));
    r = t.syncJson('b');
    expect(r.code).toBe(3);
    expect(r.status.conflicts[0].reason).toContain('sync.exclude_patterns[0]');
    expect(read(t.b, 'arxfile.json')).toBe(good);
  });

  it('a valid one still replaces the local one as before', () => {
    const t = synced();
    const next = arxfileOf(t.b);
    next.name = 'Renamed';
    plant(t, 'arxfile.json', JSON.stringify(next, null, 2));
    expect(t.sync('b').code).toBe(0);
    expect(arxfileOf(t.b).name).toBe('Renamed');
  });

  it('an automatic merge that the schema rejects (one command name in both chains) is refused and stays open', () => {
    const t = synced({ conflict_resolution: 'auto' });
    const a = arxfileOf(t.a);
    a.commands = { pre_sync: [{ name: 'check', command: 'true' }] };
    write(t.a, 'arxfile.json', JSON.stringify(a, null, 2));
    const b = arxfileOf(t.b);
    b.commands = { post_sync: [{ name: 'check', command: 'true' }] };
    write(t.b, 'arxfile.json', JSON.stringify(b, null, 2));
    const bText = read(t.b, 'arxfile.json');
    expect(t.sync('a', '--no-commands').code).toBe(0);
    const aText = read(t.remote, 'arxfile.json');
    const { code, status } = t.syncJson('b', '--no-commands');
    expect(code).toBe(3);
    expect(status.resolved).toEqual([]);
    expect(status.conflicts).toEqual([expect.objectContaining({ path: 'arxfile.json', policy: 'merge', reason: expect.stringMatching(/the merged arxfile\.json.*"check" is already the name/) })]);
    expect(read(t.b, 'arxfile.json')).toBe(bText);
    expect(read(t.remote, 'arxfile.json')).toBe(aText);
  });
});

describe('a broken arxfile.json in the project folder', () => {
  it('leaves backups, restore, status, history and conflicts working, so a kept version can be put back', () => {
    const t = synced();
    const first = read(t.a, 'arxfile.json');
    // b renames the project; a's sync replaces its arxfile.json and keeps the old one.
    const renamed = arxfileOf(t.b);
    renamed.name = 'Renamed';
    write(t.b, 'arxfile.json', JSON.stringify(renamed, null, 2));
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(0);
    // A conflict, so there is one to list.
    write(t.a, 'reports/x.md', 'a');
    write(t.b, 'reports/x.md', 'b');
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(3);

    write(t.a, 'arxfile.json', '{"project_id": "arr", ');
    const sync = t.run('a', 'sync');
    expect(sync.code).toBe(2);
    for (const args of [['status'], ['status', '--json'], ['history', '--json'], ['conflicts', '--json'], ['backups', '--json']]) {
      const r = t.run('a', ...args);
      noCrash(r);
      expect([args, r.code]).toEqual([args, 0]);
      expect(r.stderr).toContain(`${join(t.a, 'arxfile.json')}: invalid JSON`);
    }
    expect(JSON.parse(t.run('a', 'conflicts', '--json').stdout).map((c: { path: string }) => c.path)).toEqual(['reports/x.md']);
    expect(JSON.parse(t.run('a', 'history', '--json').stdout).length).toBeGreaterThan(2);
    const kept = JSON.parse(t.run('a', 'backups', '--json').stdout).find((k: { path: string; side: string }) => k.path === 'arxfile.json' && k.side === 'local');
    const restore = t.run('a', 'restore', kept.sync_id, 'arxfile.json');
    expect(restore.code, restore.stderr).toBe(0);
    expect(read(t.a, 'arxfile.json')).toBe(first);
    expect(t.sync('a').code).toBe(3);
  });
});

describe('patterns', () => {
  it('bad .arxignore lines are left out with a warning naming file, line and pattern; the sync goes on', () => {
    const t = synced();
    const long = 'y'.repeat(50_000);
    write(t.a, '.arxignore', `*.tmp\n*[b-a]*\n${long}\n`);
    write(t.a, 'notes.tmp', 'x');
    write(t.a, 'rules/keep.json', '{}');
    write(t.a, 'rules/abc.json', '{}');
    const r = t.run('a', 'sync');
    noCrash(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${join(t.a, '.arxignore')} line 3: pattern "${'y'.repeat(40)}"... (50000 characters) is longer than 4096 characters; the line is ignored`);
    expect(existsSync(join(t.remote, 'rules/keep.json'))).toBe(true);
    // As in git, [b-a] holds "b" alone: rules/abc.json is excluded.
    expect(existsSync(join(t.remote, 'rules/abc.json'))).toBe(false);
    expect(existsSync(join(t.remote, 'notes.tmp'))).toBe(false);

    write(t.a, '.arxignore', Array.from({ length: 10_005 }, (_, i) => `f${i}`).join('\n'));
    const many = t.run('a', 'sync');
    noCrash(many);
    expect(many.code).toBe(0);
    expect(many.stderr).toContain('more than 10000 patterns, from line 10001 on (5 more); they are ignored');
  });

  it('an .arxignore from the remote with a bad line is not placed', () => {
    const t = synced();
    write(t.b, '.arxignore', '*.tmp\n');
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(0);
    plant(t, '.arxignore', `*.tmp\n${'z'.repeat(5000)}\n`);
    const { code, status } = t.syncJson('a');
    expect(code).toBe(3);
    expect(status.conflicts[0]).toMatchObject({ path: '.arxignore', reason: expect.stringContaining('line 2: pattern "zzz') });
    expect(read(t.a, '.arxignore')).toBe('*.tmp\n');
  });

  it('a bad include, exclude or conflict rule pattern in the configuration is exit 2 naming it', () => {
    const t = synced();
    const original = arxfileOf(t.a);
    for (const [key, value] of [
      ['exclude_patterns', ['*.bak', 'x'.repeat(5000)]],
      ['include_patterns', Array(10_001).fill('*.json')],
      ['conflict_rules', [{ pattern: 'q'.repeat(5000), policy: 'local' }]],
    ] as const) {
      const cfg = { ...original, sync: { ...original.sync, [key]: value } };
      write(t.a, 'arxfile.json', JSON.stringify(cfg));
      const r = t.run('a', 'sync');
      noCrash(r);
      expect([key, r.code]).toEqual([key, 2]);
      expect(r.stderr).toContain(`sync.${key}`);
      expect(r.stderr).toContain('arxfile.json');
    }
  });
});
