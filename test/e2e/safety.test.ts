/** Safety halts and the project lock, through the CLI. */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { arxSpawn, snapshot, twoSided, write, type TwoSided } from '../helpers/cli.js';

function synced(files = 10): TwoSided {
  const t = twoSided();
  for (let i = 0; i < files; i++) write(t.a, `symbols/s${i}.json`, `{"i":${i}}`);
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

describe('safety halts (exit 7, nothing changed, --force overrides)', () => {
  it('halts when the remote folder has disappeared', () => {
    const t = synced();
    renameSync(t.remote, `${t.remote}.moved`);
    const before = snapshot(t.a);
    const r = t.syncJson('a');
    expect(r.code).toBe(7);
    expect(r.status.status).toBe('failed');
    expect(r.status.errors[0]).toMatchObject({ type: 'safety', code: 'SAFETY_REMOTE_MISSING' });
    expect(r.stderr).toBe('');
    const human = t.run('a', 'sync');
    expect(human.stderr).toContain('does not exist');
    expect(snapshot(t.a)).toEqual(before);
    expect(existsSync(t.remote)).toBe(false);
  });

  it('halts when the remote folder was emptied', () => {
    const t = synced();
    rmSync(t.remote, { recursive: true });
    mkdirSync(join(t.remote, 'symbols'), { recursive: true });
    const before = snapshot(t.a);
    const r = t.syncJson('a');
    expect(r.code).toBe(7);
    expect(r.status.errors[0].code).toBe('SAFETY_SIDE_EMPTIED');
    expect(snapshot(t.a)).toEqual(before);
    // --force propagates the deletions (with local backups).
    const f = t.syncJson('a', '--force');
    expect(f.code).toBe(0);
    expect(existsSync(join(t.a, 'symbols/s1.json'))).toBe(false);
    expect(existsSync(join(t.a, `.arx/backups/${f.status.sync_id}/symbols/s1.json`))).toBe(true);
  });

  it('a side replaced by other files trips the deletion limit instead', () => {
    const t = synced();
    rmSync(t.remote, { recursive: true });
    write(t.remote, 'unrelated.txt', 'x');
    const r = t.syncJson('a');
    expect(r.code).toBe(7);
    expect(r.status.errors[0].code).toBe('SAFETY_TOO_MANY_DELETES');
  });

  it('halts when the local side lost every synced file', () => {
    const t = synced();
    rmSync(join(t.b, 'symbols'), { recursive: true });
    rmSync(join(t.b, 'arxfile.json'));
    write(t.b, 'arxfile.json', JSON.stringify({ project_id: 'p1' }));
    const before = snapshot(t.remote);
    const r = t.syncJson('b');
    // arxfile.json differs from the synced one, so it is a conflict; what matters is the halt.
    expect(r.code).toBe(7);
    expect(r.status.errors[0].code).toBe('SAFETY_SIDE_EMPTIED');
    expect(snapshot(t.remote)).toEqual(before);
  });

  it('halts before deleting more than max_delete_percent of the synced files', () => {
    const t = synced(20);
    for (let i = 0; i < 12; i++) rmSync(join(t.a, `symbols/s${i}.json`));
    const before = snapshot(t.remote);
    const r = t.run('a', 'sync');
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('would delete 12 of 21 synced files');
    expect(r.stderr).toContain('--force');
    expect(snapshot(t.remote)).toEqual(before);
    const f = t.run('a', 'sync', '--force', '--quiet');
    expect(f.code).toBe(0);
    expect(existsSync(join(t.remote, 'symbols/s0.json'))).toBe(false);
  });

  it('does not halt for a few deletions', () => {
    const t = synced(6);
    for (let i = 0; i < 5; i++) rmSync(join(t.a, `symbols/s${i}.json`));
    expect(t.sync('a').code).toBe(0);
  });
});

describe('project lock', () => {
  it('refuses a second sync while another holds the lock (exit 7)', () => {
    const t = synced(3);
    const db = new Database(join(t.a, '.arx', 'lock.db'));
    db.exec('BEGIN EXCLUSIVE');
    try {
      const r = t.run('a', 'sync');
      expect(r.code).toBe(7);
      expect(r.stderr).toContain('another arx');
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
    expect(t.sync('a').code).toBe(0);
  });

  it('a killed sync leaves no lock behind', async () => {
    const t = synced(3);
    for (let i = 0; i < 300; i++) write(t.a, `models/m${i}.bin`, Buffer.alloc(64 * 1024, i));
    const child = arxSpawn(['sync', '--quiet'], { cwd: t.a, env: t.env });
    const exited = new Promise((r) => child.once('exit', r));
    // Killed in the middle of its copies (while it holds the lock): once the first model is on the remote.
    const models = join(t.remote, 'models');
    for (let waited = 0; waited < 30_000 && child.exitCode === null && !(existsSync(models) && readdirSync(models).length > 0); waited += 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    const r = t.sync('a');
    expect(r.code, r.stderr).toBe(0);
  });
});
