/** Edge cases that could lose data if handled naively. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BaseTable } from '../../src/state/base-table.js';
import { read, remove, snapshot, twoSided, write, type TwoSided } from '../helpers/cli.js';

function synced(): TwoSided {
  const t = twoSided();
  write(t.a, 'rules/keep.json', '{}');
  write(t.a, 'models/site/c1.ifc', 'one');
  write(t.a, 'models/site/c2.ifc', 'two');
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

describe('project file', () => {
  it('a deletion of arxfile.json on the remote is undone, never propagated', () => {
    const t = synced();
    remove(t.remote, 'arxfile.json');
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    expect(status.files_uploaded).toBe(1);
    expect(existsSync(join(t.a, 'arxfile.json'))).toBe(true);
    expect(read(t.remote, 'arxfile.json')).toBe(read(t.a, 'arxfile.json'));
  });
});

describe('resolve on folders', () => {
  it('keeping a local folder over a remote file keeps every file inside it', () => {
    const t = synced();
    write(t.a, 'models/site/c1.ifc', 'one, edited');
    remove(t.remote, 'models/site');
    write(t.remote, 'models/site', 'now a file');
    const first = t.syncJson('a');
    expect(first.code).toBe(3);
    expect(first.status.conflicts.map((c: { path: string }) => c.path)).toEqual(['models/site']);
    const r = t.run('a', 'resolve', 'models/site', '--keep', 'local');
    expect(r.code, r.stderr).toBe(0);
    const after = t.syncJson('a');
    expect(after.code, after.stderr).toBe(0);
    expect(read(t.a, 'models/site/c2.ifc')).toBe('two');
    expect(read(t.remote, 'models/site/c2.ifc')).toBe('two');
    expect(read(t.remote, 'models/site/c1.ifc')).toBe('one, edited');
  });

  it('refuses to settle a conflict whose versions changed since it was found', () => {
    const t = twoSided();
    write(t.a, 'rules/keep.json', '{}');
    write(t.a, 'symbols/x.json', 'base');
    expect(t.sync('a').code).toBe(0);
    write(t.a, 'symbols/x.json', 'local edit');
    write(t.remote, 'symbols/x.json', 'remote edit');
    expect(t.sync('a').code).toBe(3);
    write(t.remote, 'symbols/x.json', 'a newer remote edit');
    const r = t.run('a', 'resolve', 'symbols/x.json', '--keep', 'local');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('changed on remote since the conflict was found');
    expect(read(t.remote, 'symbols/x.json')).toBe('a newer remote edit');
  });
});

describe('links and special files', () => {
  it('are skipped with a warning on either side and never deleted elsewhere', () => {
    const t = synced();
    symlinkSync('/etc/hostname', join(t.a, 'rules/link.json'));
    write(t.remote, 'rules/target.json', 'x');
    symlinkSync(join(t.remote, 'rules/target.json'), join(t.remote, 'rules/remote-link.json'));
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    expect(status.warnings).toContain('1 symbolic link in the project folder was skipped (links are not followed): rules/link.json');
    expect(status.warnings).toContain('1 symbolic link on the remote was skipped (links are not followed): rules/remote-link.json');
    expect(existsSync(join(t.remote, 'rules/link.json'))).toBe(false);
    expect(existsSync(join(t.a, 'rules/remote-link.json'))).toBe(false);
    expect(read(t.a, 'rules/target.json')).toBe('x');
  });
});

describe('folders holding ignored files', () => {
  it('are kept (with a warning) when the other side deletes them', () => {
    const t = synced();
    write(t.b, 'models/site/notes.tmp', 'ignored scratch'); // *.tmp is not synced
    write(t.a, '.arxignore', '*.tmp\n');
    write(t.b, '.arxignore', '*.tmp\n');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    remove(t.a, 'models/site');
    expect(t.sync('a').code).toBe(0);
    const { code, status } = t.syncJson('b');
    expect(code).toBe(0);
    expect(existsSync(join(t.b, 'models/site/c1.ifc'))).toBe(false);
    expect(read(t.b, 'models/site/notes.tmp')).toBe('ignored scratch');
    expect(status.warnings.some((w: string) => w.includes('not removed'))).toBe(true);
  });
});

describe('temporary files', () => {
  it('left by an interrupted write are cleaned up and never synced', () => {
    const t = synced();
    mkdirSync(join(t.a, 'symbols'), { recursive: true });
    write(t.a, 'symbols/.arx-tmp-abc-0-deadbeef', 'half a file');
    const { code } = t.syncJson('a');
    expect(code).toBe(0);
    expect(existsSync(join(t.a, 'symbols/.arx-tmp-abc-0-deadbeef'))).toBe(false);
    expect([...snapshot(t.remote).keys()].some((p) => p.includes('.arx-tmp-'))).toBe(false);
  });
});

describe('the state snapshot', () => {
  /** The stored snapshot (its rowid changes when it is written again) and its rows' paths in order. */
  function storedSnapshot(project: string): { rowid: number; paths: string[] } {
    const db = new Database(join(project, '.arx', 'state.db'), { readonly: true });
    try {
      const { rowid, data } = db.prepare('SELECT rowid, data FROM base_snapshot').get() as { rowid: number; data: Buffer };
      return { rowid, paths: BaseTable.decode(data)!.paths };
    } finally {
      db.close();
    }
  }

  it('keeps its rows in the order the project folder is listed, written once', () => {
    const t = twoSided('order');
    // Written a minute ago: a file modified within a second of a listing is read again by the next sync
    // (its stat cannot vouch for it yet), which would change the base once more.
    const past = new Date(Date.now() - 60_000);
    for (let d = 0; d < 12; d++) {
      for (let f = 0; f < 100; f++) {
        const rel = `symbols/g${d}/s${(f * 37) % 100}.json`;
        write(t.a, rel, `{"n":${f}}`);
        utimesSync(join(t.a, rel), past, past);
      }
    }
    utimesSync(join(t.a, 'arxfile.json'), past, past);
    expect(t.sync('a').code).toBe(0);
    // Once a sync has met the rows in the folder's order, the snapshot follows it.
    expect(t.sync('a').code).toBe(0);
    const listed = spawnSync('find', ['.', '-mindepth', '1', '-path', './.arx', '-prune', '-o', '-printf', '%P\\0'], { cwd: t.a, encoding: 'utf8' })
      .stdout.split('\0')
      .filter((p) => p !== '' && p !== '.arx');
    expect(listed.length).toBe(1214);
    const before = storedSnapshot(t.a);
    expect(before.paths).toEqual(listed);
    // In order now: a sync that changes nothing leaves it as it is.
    expect(t.sync('a').code).toBe(0);
    expect(storedSnapshot(t.a)).toEqual(before);
  });
});
