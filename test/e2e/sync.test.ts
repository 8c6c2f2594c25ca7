/** Two project folders syncing one project through one local remote, driven through the CLI. */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, remove, snapshot, twoSided, write, type RemoteKind, type TwoSided } from '../helpers/cli.js';
import { describeOverSftp } from '../helpers/sshd.js';

/** a syncs, then b syncs: both exit 0. */
function roundTrip(t: TwoSided): void {
  const ra = t.sync('a');
  expect(ra.code, ra.stderr).toBe(0);
  const rb = t.sync('b');
  expect(rb.code, rb.stderr).toBe(0);
}

function expectSame(t: TwoSided): void {
  const sa = snapshot(t.a);
  expect(snapshot(t.b)).toEqual(sa);
  expect(snapshot(t.remote)).toEqual(sa);
}

/** Every scenario, against one kind of remote. */
function scenarios(remote: () => RemoteKind): void {
  const two = (id = 'p1', extra: Record<string, unknown> = {}): TwoSided => twoSided(id, extra, remote());

  describe('two-way sync', () => {
    it('creates files, nested and empty folders on the other side', () => {
      const t = two();
      write(t.a, 'symbols/mechanical/ahu.json', '{"id":"ahu"}\n');
      write(t.a, 'symbols/electrical/deep/er/panel.json', '{"id":"panel"}\n');
      mkdirSync(join(t.a, 'models/empty/inner'), { recursive: true });
      write(t.a, 'hello? sausage/êé/Hello, 世界.json', '{}');
      roundTrip(t);
      expectSame(t);
      expect(read(t.b, 'hello? sausage/êé/Hello, 世界.json')).toBe('{}');
      expect(existsSync(join(t.b, 'models/empty/inner'))).toBe(true);
    });

    it('reports the spec fields in the status JSON and saves it under .arx/syncs', () => {
      const t = two();
      write(t.a, 'rules/r1.json', '{"rule":1}');
      const { code, status } = t.syncJson('a');
      expect(code).toBe(0);
      expect(status.sync_id).toMatch(/^sync_\d{8}_\d{6}(_\d+)?$/);
      expect(status.status).toBe('completed');
      expect(status.project_id).toBe('p1');
      expect(status.files_uploaded).toBe(2); // rules/r1.json and arxfile.json
      expect(status.files_synced).toBe(2);
      expect(status.bytes_transferred).toBeGreaterThan(10);
      for (const k of ['start_time', 'end_time']) expect(new Date(status[k]).toISOString()).toBe(status[k]);
      for (const k of ['conflicts_resolved', 'commands_executed', 'files_downloaded', 'files_deleted', 'duration_ms', 'conflicts_pending']) {
        expect(typeof status[k]).toBe('number');
      }
      expect(status.errors).toEqual([]);
      expect(Array.isArray(status.warnings)).toBe(true);
      const saved = JSON.parse(read(t.a, `.arx/syncs/${status.sync_id}.json`));
      expect(saved).toEqual(status);
    });

    it('gives two syncs in the same second different ids', () => {
      const t = two();
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) ids.add(t.syncJson('a').status.sync_id);
      expect(ids.size).toBe(3);
    });

    it('a second sync right after a successful one transfers nothing', () => {
      const t = two();
      write(t.a, 'symbols/x.json', '1');
      roundTrip(t);
      for (const side of ['a', 'b'] as const) {
        const { status } = t.syncJson(side);
        expect(status.files_synced).toBe(0);
        expect(status.bytes_transferred).toBe(0);
      }
    });

    it('propagates a modification and keeps the overwritten local version as a backup', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'v1');
      roundTrip(t);
      write(t.a, 'symbols/x.json', 'v2 longer');
      expect(t.sync('a').code).toBe(0);
      const { code, status } = t.syncJson('b');
      expect(code).toBe(0);
      expect(status.files_downloaded).toBe(1);
      expect(read(t.b, 'symbols/x.json')).toBe('v2 longer');
      expect(read(t.b, `.arx/backups/${status.sync_id}/symbols/x.json`)).toBe('v1');
    });

    it('propagates a deletion and keeps the deleted local file as a backup', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'keep me');
      write(t.a, 'symbols/y.json', 'other');
      roundTrip(t);
      remove(t.a, 'symbols/x.json');
      expect(t.sync('a').code).toBe(0);
      expect(existsSync(join(t.remote, 'symbols/x.json'))).toBe(false);
      const { status } = t.syncJson('b');
      expect(status.files_deleted).toBe(1);
      expect(existsSync(join(t.b, 'symbols/x.json'))).toBe(false);
      expect(read(t.b, `.arx/backups/${status.sync_id}/symbols/x.json`)).toBe('keep me');
      expectSame(t);
    });

    it('keeps no backups when auto_backup is false (set on this machine)', () => {
      const t = two('p1');
      for (const side of ['a', 'b'] as const) t.setGlobal(side, (cfg) => (cfg.sync = { auto_backup: false }));
      write(t.a, 'x.txt', 'one');
      roundTrip(t);
      write(t.a, 'x.txt', 'two');
      roundTrip(t);
      expect(read(t.b, 'x.txt')).toBe('two');
      expect(existsSync(join(t.b, '.arx/backups'))).toBe(false);
    });

    it('propagates renames of files and folders', () => {
      const t = two();
      write(t.a, 'models/old/a.ifc', 'A');
      write(t.a, 'symbols/s.json', 'S');
      roundTrip(t);
      renameSync(join(t.a, 'models/old'), join(t.a, 'models/new'));
      renameSync(join(t.a, 'symbols/s.json'), join(t.a, 'symbols/t.json'));
      roundTrip(t);
      expectSame(t);
      expect(existsSync(join(t.b, 'models/old'))).toBe(false);
      expect(read(t.b, 'models/new/a.ifc')).toBe('A');
    });

    it('deletes a folder tree on the other side, deepest first', () => {
      const t = two();
      write(t.a, 'reports/2025/q1/r.md', 'r');
      write(t.a, 'reports/2025/q2/s.md', 's');
      write(t.a, 'rules/keep.json', '{}'); // so the side is not emptied (a safety halt)
      roundTrip(t);
      remove(t.a, 'reports/2025');
      roundTrip(t);
      expect(existsSync(join(t.b, 'reports/2025'))).toBe(false);
      expectSame(t);
    });

    it('the same edit on both sides is recorded without a transfer or a conflict', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'v1');
      roundTrip(t);
      write(t.a, 'symbols/x.json', 'same new content');
      write(t.b, 'symbols/x.json', 'same new content');
      expect(t.sync('a').code).toBe(0);
      const { code, status } = t.syncJson('b');
      expect(code).toBe(0);
      expect(status.files_synced).toBe(0);
      expect(status.conflicts_pending).toBe(0);
    });

    it('a modification beats a deletion on the other side', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'v1');
      write(t.a, 'rules/keep.json', '{}');
      roundTrip(t);
      remove(t.a, 'symbols/x.json');
      expect(t.sync('a').code).toBe(0);
      write(t.b, 'symbols/x.json', 'edited on b');
      const rb = t.sync('b');
      expect(rb.code, rb.stderr).toBe(0);
      expect(read(t.remote, 'symbols/x.json')).toBe('edited on b');
      expect(t.sync('a').code).toBe(0);
      expect(read(t.a, 'symbols/x.json')).toBe('edited on b');
    });

    it('a change inside a folder deleted on the other side keeps the folder', () => {
      const t = two();
      write(t.a, 'models/site/a.ifc', 'A');
      write(t.a, 'models/site/b.ifc', 'B');
      write(t.a, 'rules/keep.json', '{}');
      roundTrip(t);
      remove(t.a, 'models/site');
      expect(t.sync('a').code).toBe(0);
      write(t.b, 'models/site/b.ifc', 'B edited');
      expect(t.sync('b').code).toBe(0);
      expect(t.sync('a').code).toBe(0);
      expect(read(t.a, 'models/site/b.ifc')).toBe('B edited');
      expect(existsSync(join(t.a, 'models/site/a.ifc'))).toBe(false);
      expectSame(t);
    });

    it('first sync with different content on both sides is a conflict, never an overwrite', () => {
      const t = two();
      write(t.remote, 'symbols/x.json', 'remote version');
      write(t.remote, 'symbols/only-remote.json', 'r');
      write(t.a, 'symbols/x.json', 'local version');
      const { code, status } = t.syncJson('a');
      expect(code).toBe(3);
      expect(status.status).toBe('completed');
      expect(status.conflicts_pending).toBe(1);
      expect(status.conflicts[0].path).toBe('symbols/x.json');
      expect(read(t.a, 'symbols/x.json')).toBe('local version');
      expect(read(t.remote, 'symbols/x.json')).toBe('remote version');
      expect(read(t.a, 'symbols/only-remote.json')).toBe('r');
    });
  });

  describe('conflicts and resolve', () => {
    function conflicted(): TwoSided {
      const t = two();
      write(t.a, 'symbols/x.json', 'base');
      write(t.a, 'symbols/other.json', 'o1');
      roundTrip(t);
      write(t.a, 'symbols/x.json', 'edit A');
      write(t.a, 'symbols/other.json', 'o2');
      expect(t.sync('a').code).toBe(0);
      write(t.b, 'symbols/x.json', 'edit B');
      return t;
    }

    it('leaves both sides untouched, records the conflict and still syncs the rest', () => {
      const t = conflicted();
      const { code, status } = t.syncJson('b');
      expect(code).toBe(3);
      expect(status.conflicts).toEqual([expect.objectContaining({ path: 'symbols/x.json', kind: 'both-modified' })]);
      expect(read(t.b, 'symbols/x.json')).toBe('edit B');
      expect(read(t.remote, 'symbols/x.json')).toBe('edit A');
      expect(read(t.b, 'symbols/other.json')).toBe('o2');
      const list = t.run('b', 'conflicts', '--json');
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).map((c: { path: string }) => c.path)).toEqual(['symbols/x.json']);
      const human = t.run('b', 'conflicts');
      expect(human.stdout).toContain('symbols/x.json');
      // Still a conflict on the next sync, still untouched.
      expect(t.sync('b').code).toBe(3);
      expect(read(t.b, 'symbols/x.json')).toBe('edit B');
    });

    it('resolve --keep local pushes the local version', () => {
      const t = conflicted();
      t.sync('b');
      const r = t.run('b', 'resolve', 'symbols/x.json', '--keep', 'local');
      expect(r.code, r.stderr).toBe(0);
      expect(read(t.remote, 'symbols/x.json')).toBe('edit B');
      expect(JSON.parse(t.run('b', 'conflicts', '--json').stdout)).toEqual([]);
      roundTrip(t);
      expect(read(t.a, 'symbols/x.json')).toBe('edit B');
    });

    it('resolve --keep remote pulls the remote version and backs up the local one', () => {
      const t = conflicted();
      t.sync('b');
      const r = t.run('b', 'resolve', 'symbols/x.json', '--keep', 'remote');
      expect(r.code, r.stderr).toBe(0);
      expect(read(t.b, 'symbols/x.json')).toBe('edit A');
      const backups = join(t.b, '.arx/backups');
      const kept = readdirSync(backups).map((d) => join(backups, d, 'symbols/x.json')).filter((p) => existsSync(p));
      expect(kept.map((p) => read(p, ''))).toEqual(['edit B']);
      expect(t.sync('b').code).toBe(0);
    });

    it('resolve --keep both keeps the remote version beside it under a conflict name, on both sides', () => {
      const t = conflicted();
      t.sync('b');
      const r = t.run('b', 'resolve', 'symbols/x.json', '--keep', 'both');
      expect(r.code, r.stderr).toBe(0);
      const copies = readdirSync(join(t.b, 'symbols')).filter((n) => n.includes('conflict'));
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatch(/^x\.conflict-remote-\d{8}-\d{6}\.json$/);
      expect(read(t.b, 'symbols/x.json')).toBe('edit B');
      expect(read(t.b, `symbols/${copies[0]}`)).toBe('edit A');
      roundTrip(t);
      expect(read(t.a, 'symbols/x.json')).toBe('edit B');
      expect(read(t.a, `symbols/${copies[0]}`)).toBe('edit A');
      expectSame(t);
    });

    it('resolve of a path without a conflict is a usage error', () => {
      const t = conflicted();
      t.sync('b');
      const r = t.run('b', 'resolve', 'symbols/other.json', '--keep', 'local');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no open conflict for symbols/other.json');
      const bad = t.run('b', 'resolve', 'symbols/x.json', '--keep', 'sideways');
      expect(bad.code).toBe(2);
    });
  });

  describe('dry run', () => {
    it('shows each path, action and reason and changes nothing on either side', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'v1');
      write(t.a, 'symbols/gone.json', 'g');
      roundTrip(t);
      write(t.a, 'symbols/new.json', 'n');
      write(t.a, 'symbols/x.json', 'v2');
      remove(t.a, 'symbols/gone.json');
      write(t.remote, 'rules/from-remote.json', '{}');
      const beforeA = snapshot(t.a);
      const beforeR = snapshot(t.remote);
      const r = t.run('a', 'sync', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/upload\s+symbols\/new\.json\s+\(new file on local\)/);
      expect(r.stdout).toMatch(/upload\s+symbols\/x\.json\s+\(changed on local\)/);
      expect(r.stdout).toMatch(/delete-remote\s+symbols\/gone\.json\s+\(deleted on local\)/);
      expect(r.stdout).toMatch(/download\s+rules\/from-remote\.json/);
      const json = t.syncJson('a', '--dry-run');
      expect(json.status.dry_run).toBe(true);
      expect(json.status.plan).toContainEqual({ path: 'symbols/new.json', action: 'upload', reason: 'new file on local' });
      expect(snapshot(t.a)).toEqual(beforeA);
      expect(snapshot(t.remote)).toEqual(beforeR);
      // Not recorded as a sync either.
      expect(JSON.parse(t.run('a', 'history', '--json').stdout)).toHaveLength(1);
    });
  });

  describe('filters', () => {
    it('honours .arxignore, exclude and include patterns with gitignore semantics, and never syncs .env or .arx', () => {
      const t = two('p1', {
        sync: { enabled: true, remote_path: '/projects/p1', exclude_patterns: ['*.bak'], include_patterns: ['*.json', 'models/', '.arxignore'] },
      });
      write(t.a, '.arxignore', 'node_modules/\nsecret.json\n');
      write(t.a, 'symbols/a.json', 'a');
      write(t.a, 'symbols/deep/b.json', 'b');
      write(t.a, 'symbols/a.json.bak', 'bak');
      write(t.a, 'symbols/readme.txt', 'not included');
      write(t.a, 'node_modules/x/index.json', 'nm');
      write(t.a, 'secret.json', 's');
      write(t.a, 'models/m.ifc', 'model');
      write(t.a, '.env', 'ARX_REMOTE_PASSWORD=hunter2\n');
      expect(t.sync('a').code).toBe(0);
      const names = [...snapshot(t.remote).keys()].sort();
      expect(names).toEqual(['.arxignore', 'arxfile.json', 'models', 'models/m.ifc', 'symbols', 'symbols/a.json', 'symbols/deep', 'symbols/deep/b.json']);
    });

    it('excludes files above max_file_size with a warning and never deletes them elsewhere', () => {
      const t = two('p1', { sync: { enabled: true, remote_path: '/projects/p1', max_file_size: '1KB' } });
      write(t.a, 'models/small.ifc', 'x'.repeat(100));
      write(t.a, 'models/big1.ifc', 'x'.repeat(5000));
      write(t.a, 'models/big2.ifc', 'y'.repeat(5000));
      write(t.a, 'models/big3.ifc', 'z'.repeat(5000));
      const { code, status } = t.syncJson('a');
      expect(code).toBe(0);
      expect(status.warnings).toContain('3 files in the project folder were left out for being larger than sync.max_file_size (1000 B): models/big1.ifc, models/big2.ifc, models/big3.ifc');
      expect(existsSync(join(t.remote, 'models/small.ifc'))).toBe(true);
      expect(existsSync(join(t.remote, 'models/big1.ifc'))).toBe(false);
      // A synced file that grows past the limit is left alone on the other side, not deleted.
      expect(t.sync('b').code).toBe(0);
      write(t.a, 'models/small.ifc', 'x'.repeat(5000));
      expect(t.sync('a').code).toBe(0);
      expect(read(t.remote, 'models/small.ifc')).toBe('x'.repeat(100));
    });
  });

  describe('mtime', () => {
    it('preserves modification times on the other side', () => {
      const t = two();
      write(t.a, 'symbols/x.json', 'x');
      const when = new Date('2024-03-01T12:00:00Z');
      utimesSync(join(t.a, 'symbols/x.json'), when, when);
      roundTrip(t);
      expect(statSync(join(t.remote, 'symbols/x.json')).mtime.toISOString()).toBe(when.toISOString());
      expect(statSync(join(t.b, 'symbols/x.json')).mtime.toISOString()).toBe(when.toISOString());
    });

    it('a local edit that keeps the size and the modification time is still uploaded (its change time differs)', () => {
      const t = two();
      write(t.a, 'symbols/x.json', '{"v":1}');
      write(t.a, 'symbols/y.json', '{"w":1}');
      const when = new Date('2024-03-01T12:00:00Z');
      utimesSync(join(t.a, 'symbols/x.json'), when, when);
      expect(t.sync('a').code).toBe(0);
      write(t.a, 'symbols/x.json', '{"v":2}');
      utimesSync(join(t.a, 'symbols/x.json'), when, when);
      const r = t.syncJson('a');
      expect(r.status.files_uploaded).toBe(1);
      expect(read(t.remote, 'symbols/x.json')).toBe('{"v":2}');
      expect(read(t.remote, 'symbols/y.json')).toBe('{"w":1}');
    });
  });
}

describe('through a local folder remote', () => scenarios(() => ({ kind: 'local' })));

describeOverSftp('through an SFTP remote (OpenSSH on loopback)', scenarios);
