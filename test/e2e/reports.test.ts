/**
 * What a sync reports is what it did (or, in a dry run, would do); policy
 * corner cases; and options rsync and rclone users reach for.
 */
import { existsSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, twoSided, write, type TwoSided } from '../helpers/cli.js';

function synced(files: Record<string, string>, arxfileExtra: Record<string, unknown> = {}): TwoSided {
  const t = twoSided('rep', arxfileExtra);
  for (const [p, c] of Object.entries(files)) write(t.a, p, c);
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

const tenSymbols = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`symbols/s${i}.json`, `{"n":${i}}`]));

describe('reports tell the truth', () => {
  it('a dry run at a safety halt prints its whole plan and the halt it would stop at (exit 7); -n is --dry-run', () => {
    const t = synced(tenSymbols);
    for (let i = 0; i < 8; i++) rmSync(join(t.remote, `symbols/s${i}.json`));
    const dry = t.syncJson('a', '-n');
    expect(dry.code).toBe(7);
    expect(dry.status.errors[0].code).toBe('SAFETY_TOO_MANY_DELETES');
    expect(dry.status.plan.filter((p: any) => p.action === 'delete-local')).toHaveLength(8);
    const human = t.run('a', 'sync', '--dry-run');
    expect(human.code).toBe(7);
    expect(human.stdout).toMatch(/dry run: \d+ actions \(nothing was changed\); a real sync would stop before any of them/);
    expect(human.stdout).toMatch(/delete-local\s+symbols\/s0\.json/);
    expect(human.stderr).toContain('would delete 8 of');
    expect(existsSync(join(t.a, 'symbols/s0.json'))).toBe(true);
  });

  it('a side that lost only files the other side changed is not "emptied": the changes come back, no halt', () => {
    const t = synced({ 'symbols/a.json': '{"v":1}', 'symbols/b.json': '{"v":1}' });
    write(t.a, 'symbols/a.json', '{"v":2}');
    write(t.a, 'symbols/b.json', '{"v":2}');
    rmSync(join(t.remote, 'symbols'), { recursive: true });
    const r = t.syncJson('a');
    expect(r.code, JSON.stringify(r.status.errors)).toBe(0);
    expect(read(t.remote, 'symbols/a.json')).toBe('{"v":2}');
    expect(r.status.files_uploaded).toBe(2);
  });

  it('paths the patterns now leave out are "no longer included", never "deleted on both sides", and stay where they are', () => {
    const t = synced({ 'models/a.ifc': 'A', 'models/b.ifc': 'B', 'symbols/x.json': '{}' });
    for (const side of ['a', 'b'] as const) t.setGlobal(side, (cfg) => (cfg.sync = { exclude_patterns: ['models/'] }));
    const dry = t.syncJson('a', '--dry-run');
    expect(dry.status.plan).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'models/a.ifc', action: 'forget', reason: expect.stringContaining('no longer included') })]));
    expect(JSON.stringify(dry.status.plan)).not.toContain('deleted on both sides');
    const r = t.syncJson('a');
    expect(r.code).toBe(0);
    expect(r.status.warnings.join('\n')).toMatch(/models, models\/a\.ifc, models\/b\.ifc are no longer included \(the patterns changed\) and left the sync/);
    expect(read(t.a, 'models/a.ifc')).toBe('A');
    expect(read(t.remote, 'models/a.ifc')).toBe('A');
    // Forgotten: included again, they compare afresh (equal content: recorded, nothing copied).
    for (const side of ['a', 'b'] as const) t.setGlobal(side, (cfg) => delete cfg.sync);
    const back = t.syncJson('a');
    expect(back.code).toBe(0);
    expect(back.status.files_synced).toBe(0);
  });

  it('--exclude and --include for one run leave the rest alone, and the next full sync picks it up', () => {
    const t = synced({ 'models/a.ifc': 'A', 'symbols/x.json': '{}' });
    write(t.a, 'models/a.ifc', 'A2');
    write(t.a, 'symbols/x.json', '{"x":2}');
    const only = t.syncJson('a', '--exclude', 'models/');
    expect(only.code).toBe(0);
    expect(only.status.files_uploaded).toBe(1);
    expect(read(t.remote, 'models/a.ifc')).toBe('A');
    expect(only.status.warnings.join('\n')).not.toContain('no longer included');
    write(t.a, 'symbols/y.json', '{}');
    const included = t.syncJson('a', '--include', 'models/**');
    expect(included.code).toBe(0);
    expect(read(t.remote, 'models/a.ifc')).toBe('A2');
    expect(existsSync(join(t.remote, 'symbols/y.json'))).toBe(false);
    const full = t.syncJson('a');
    expect(full.status.files_uploaded).toBe(1);
    expect(read(t.remote, 'symbols/y.json')).toBe('{}');
    const bad = t.run('a', 'sync', '--exclude', 'x'.repeat(5000));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the command line (--exclude)');
  });

  it('--quiet prints nothing on stdout, on success and on failure', () => {
    const t = synced(tenSymbols);
    write(t.a, 'symbols/new.json', '{}');
    const ok = t.run('a', 'sync', '--quiet');
    expect(ok).toMatchObject({ code: 0, stdout: '' });
    for (let i = 0; i < 8; i++) rmSync(join(t.remote, `symbols/s${i}.json`));
    const halted = t.run('a', 'sync', '--quiet');
    expect(halted.code).toBe(7);
    expect(halted.stdout).toBe('');
    expect(halted.stderr).toContain('arx: error:');
  });

  it('arx conflicts keeps why a merge failed, with the clashing JSON paths', () => {
    const t = synced({ 'rules/r.json': '{"severity":"low","other":1}' }, { sync: { conflict_resolution: 'auto' } });
    write(t.a, 'rules/r.json', '{"severity":"high","other":1}');
    expect(t.sync('a').code).toBe(0);
    write(t.b, 'rules/r.json', '{"severity":"medium","other":1}');
    const r = t.syncJson('b');
    expect(r.code).toBe(3);
    expect(r.status.conflicts[0].reason).toContain('severity');
    const listed = JSON.parse(t.run('b', 'conflicts', '--json').stdout);
    expect(listed[0].reason).toBe(r.status.conflicts[0].reason);
    expect(t.run('b', 'conflicts').stdout).toContain('cannot merge: changed differently on both sides: severity');
  });

  it('progress and summary count the same changes; "settling by policy" only where a policy applies', () => {
    const t = twoSided('rep');
    for (let i = 0; i < 3; i++) write(t.a, `symbols/d${i}/s.json`, '{}');
    const first = t.run('a', 'sync');
    expect(first.code).toBe(0);
    // 3 files and 4 folders (symbols and symbols/d0..d2), plus arxfile.json.
    expect(first.stderr).toContain('8 changes to apply');
    expect(first.stdout).toContain('uploaded 4, downloaded 0, deleted 0, folders 4 created');
    expect(t.sync('b').code).toBe(0);
    write(t.a, 'notes.txt', 'a');
    write(t.b, 'notes.txt', 'b');
    expect(t.sync('a').code).toBe(0);
    const manual = t.run('b', 'sync');
    expect(manual.code).toBe(3);
    expect(manual.stderr).not.toContain('settling');
  });
});

describe('policy corner cases', () => {
  it('a policy never replaces a folder that holds ignored files: the conflict stays open', () => {
    const t = synced({ '.arxignore': '*.tmp\n', 'rules/x.json': '{"a":1}' }, { sync: { conflict_rules: [{ pattern: 'rules/x.json', policy: 'remote' }] } });
    // b changes the file; a makes it a folder holding a file the sync ignores.
    write(t.b, 'rules/x.json', '{"a":2}');
    expect(t.sync('b').code).toBe(0);
    rmSync(join(t.a, 'rules/x.json'));
    write(t.a, 'rules/x.json/keep.tmp', 'mine, not synced');
    write(t.a, 'rules/x.json/inner.json', '{}');
    // The rule says "remote": b's file would replace a's folder, and keep.tmp with it.
    const r = t.syncJson('a');
    expect(r.code).toBe(3);
    const open = r.status.conflicts.find((c: any) => c.path === 'rules/x.json');
    expect(open?.reason, JSON.stringify(r.status)).toContain('holds files the sync leaves out (ignored or excluded: rules/x.json/keep.tmp)');
    expect(read(t.a, 'rules/x.json/keep.tmp')).toBe('mine, not synced');
    expect(read(t.a, 'rules/x.json/inner.json')).toBe('{}');
    expect(JSON.parse(t.run('a', 'conflicts', '--json').stdout).map((c: any) => c.path)).toEqual(['rules/x.json']);
  });

  it('after resolve --keep local, the other replica sees the new version even with the same size and time', () => {
    const t = synced({ 'symbols/x.json': '{"v":"0"}' });
    const when = new Date('2026-06-01T12:00:00Z');
    write(t.a, 'symbols/x.json', '{"v":"a"}');
    write(t.b, 'symbols/x.json', '{"v":"b"}');
    utimesSync(join(t.a, 'symbols/x.json'), when, when);
    utimesSync(join(t.b, 'symbols/x.json'), when, when);
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(3);
    const resolved = t.run('a', 'resolve', 'symbols/x.json', '--keep', 'local');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(read(t.remote, 'symbols/x.json')).toBe('{"v":"a"}');
    expect(statSync(join(t.remote, 'symbols/x.json')).mtimeMs).not.toBe(when.getTime());
    expect(t.sync('b').code).toBe(0);
    expect(read(t.b, 'symbols/x.json')).toBe('{"v":"a"}');
  });
});

describe('a synced path replaced by a symbolic link', () => {
  it('is left alone on both sides, with a warning naming it, until it is a file again', () => {
    const t = synced({ 'symbols/x.json': '{"x":1}', 'models/m.ifc': 'M' });
    const outside = join(t.home, 'elsewhere.json');
    write(t.home, 'elsewhere.json', '{"not":"synced"}');
    rmSync(join(t.a, 'symbols/x.json'));
    symlinkSync(outside, join(t.a, 'symbols/x.json'));
    rmSync(join(t.remote, 'models/m.ifc'));
    symlinkSync(outside, join(t.remote, 'models/m.ifc'));
    const r = t.syncJson('a');
    expect(r.code).toBe(0);
    const warnings = r.status.warnings.join('\n');
    expect(warnings).toContain('symbols/x.json was synced, but in the project folder it is now a symbolic link or special file: it is left alone on both sides');
    expect(warnings).toContain('models/m.ifc was synced, but on the remote it is now a symbolic link or special file');
    expect(read(t.remote, 'symbols/x.json')).toBe('{"x":1}');
    expect(read(t.a, 'models/m.ifc')).toBe('M');
    expect(read(t.home, 'elsewhere.json')).toBe('{"not":"synced"}');
    // A file again: it syncs like any change.
    rmSync(join(t.a, 'symbols/x.json'));
    write(t.a, 'symbols/x.json', '{"x":2}');
    expect(t.sync('a').code).toBe(0);
    expect(read(t.remote, 'symbols/x.json')).toBe('{"x":2}');
  });
});

describe('habits of rsync and rclone users', () => {
  it('arx resolve takes several paths, globs and --all', () => {
    const files = { 'symbols/a.json': '0', 'symbols/b.json': '0', 'rules/c.json': '0', 'models/d.ifc': '0' };
    const t = synced(files);
    for (const p of Object.keys(files)) {
      write(t.a, p, 'from a');
      write(t.b, p, 'from b!');
    }
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(3);
    const glob = t.run('a', 'resolve', 'symbols/*.json', '--keep', 'local');
    expect(glob.code, glob.stderr).toBe(0);
    expect(glob.stdout).toContain('kept the local version of symbols/a.json');
    expect(glob.stdout).toContain('kept the local version of symbols/b.json');
    expect(JSON.parse(t.run('a', 'conflicts', '--json').stdout).map((c: any) => c.path)).toEqual(['models/d.ifc', 'rules/c.json']);
    expect(t.run('a', 'resolve', 'nothing/*.json', '--keep', 'local').code).toBe(2);
    expect(t.run('a', 'resolve', '--keep', 'local').code).toBe(2);
    expect(t.run('a', 'resolve', 'rules/c.json', '--all', '--keep', 'local').code).toBe(2);
    const all = t.run('a', 'resolve', '--all', '--keep', 'remote');
    expect(all.code, all.stderr).toBe(0);
    expect(read(t.a, 'rules/c.json')).toBe('from b!');
    expect(read(t.a, 'models/d.ifc')).toBe('from b!');
    expect(JSON.parse(t.run('a', 'conflicts', '--json').stdout)).toEqual([]);
    expect(readdirSync(join(t.a, '.arx/backups')).filter((d) => d.startsWith('resolve_')).length).toBeGreaterThanOrEqual(1);
  });
});
