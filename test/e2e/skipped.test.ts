/** What a sync leaves out is named by path: in the warnings (ten, then "and N more") and in the status's `skipped`. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARX, twoSided, write } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;

describe('skipped paths are named', () => {
  it('symbolic links and special files (a FIFO), on either side, one warning per kind and side', () => {
    const t = twoSided();
    write(t.a, 'rules/keep.json', '{}');
    symlinkSync('/etc/hostname', join(t.a, 'rules/link.json'));
    expect(spawnSync('mkfifo', [join(t.a, 'rules/pipe')]).status).toBe(0);
    mkdirSync(t.remote, { recursive: true });
    write(t.remote, 'rules/target.json', 'x');
    symlinkSync(join(t.remote, 'rules/target.json'), join(t.remote, 'rules/remote-link.json'));
    const { code, status } = t.syncJson('a');
    expect(code, JSON.stringify(status.errors)).toBe(0);
    expect(status.warnings).toContain('1 symbolic link in the project folder was skipped (links are not followed): rules/link.json');
    expect(status.warnings).toContain('1 symbolic link on the remote was skipped (links are not followed): rules/remote-link.json');
    expect(status.warnings).toContain('1 special file (FIFO, socket or device) in the project folder was skipped: rules/pipe');
    expect(status.skipped).toEqual(
      expect.arrayContaining([
        { path: 'rules/link.json', side: 'local', why: 'symlink' },
        { path: 'rules/remote-link.json', side: 'remote', why: 'symlink' },
        { path: 'rules/pipe', side: 'local', why: 'special' },
      ]),
    );
    expect(status.skipped).toHaveLength(3);
    expect(existsSync(join(t.remote, 'rules/link.json'))).toBe(false);
    expect(existsSync(join(t.a, 'rules/remote-link.json'))).toBe(false);
    // The terminal shows the same warnings (they are printed from the status).
    const plain = t.run('a', 'sync');
    expect(plain.stderr).toContain('arx: warning: 1 symbolic link in the project folder was skipped (links are not followed): rules/link.json');
  });

  it('names the first ten, then "and N more"; the status lists them all', () => {
    const t = twoSided();
    mkdirSync(join(t.a, 'links'));
    for (let i = 0; i < 13; i++) symlinkSync('/etc/hostname', join(t.a, `links/l${String(i).padStart(2, '0')}`));
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    const first = Array.from({ length: 10 }, (_, i) => `links/l${String(i).padStart(2, '0')}`).join(', ');
    expect(status.warnings).toContain(`13 symbolic links in the project folder were skipped (links are not followed): ${first} and 3 more`);
    expect(status.skipped.map((s: { path: string }) => s.path)).toEqual(Array.from({ length: 13 }, (_, i) => `links/l${String(i).padStart(2, '0')}`));
  });

  it('files above sync.max_file_size, on either side', () => {
    const t = twoSided('p1', { sync: { enabled: true, remote_path: '/projects/p1', max_file_size: '1KB' } });
    write(t.a, 'models/small.ifc', 'x'.repeat(100));
    write(t.a, 'models/big1.ifc', 'x'.repeat(5000));
    write(t.a, 'models/big2.ifc', 'y'.repeat(5000));
    write(t.remote, 'models/huge.ifc', 'z'.repeat(5000));
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    expect(status.warnings).toContain('2 files in the project folder were left out for being larger than sync.max_file_size (1000 B): models/big1.ifc, models/big2.ifc');
    expect(status.warnings).toContain('1 file on the remote was left out for being larger than sync.max_file_size (1000 B): models/huge.ifc');
    expect(status.skipped).toEqual([
      { path: 'models/big1.ifc', side: 'local', why: 'too-large' },
      { path: 'models/big2.ifc', side: 'local', why: 'too-large' },
      { path: 'models/huge.ifc', side: 'remote', why: 'too-large' },
    ]);
  });

  // Root reads a folder whatever its mode, so arx runs as an ordinary user (nobody) for this one.
  it.runIf(isRoot && spawnSync('setpriv', ['--version']).status === 0)('a folder that cannot be read (arx run as an ordinary user)', () => {
    const t = twoSided();
    write(t.a, 'rules/keep.json', '{}');
    write(t.a, 'rules/locked/secret.json', '{}');
    write(t.a, 'models/m.ifc', 'm');
    mkdirSync(t.remote, { recursive: true });
    const top = join(t.a, '..');
    expect(spawnSync('chown', ['-R', '65534:65534', top]).status).toBe(0);
    chmodSync(join(t.a, 'rules/locked'), 0);
    const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', ARX, 'sync', '--json', '--quiet'], { cwd: t.a, env: t.env, encoding: 'utf8' });
    chmodSync(join(t.a, 'rules/locked'), 0o755);
    const status = JSON.parse(r.stdout);
    expect(r.status, r.stderr).toBe(0);
    expect(status.warnings).toContain('1 path in the project folder could not be read and was left alone: rules/locked');
    expect(status.skipped).toEqual([{ path: 'rules/locked', side: 'local', why: 'unreadable' }]);
    expect(existsSync(join(t.remote, 'rules/keep.json'))).toBe(true);
    expect(existsSync(join(t.remote, 'rules/locked'))).toBe(false);
  });

  // Linux's ext4 folders here are case-sensitive, and arx probes a project folder for case by its
  // arxfile.json's name in capitals: such a file (ignored, so it is not synced) makes the probe see
  // a case-insensitive folder, which is how names that differ in case are then handled.
  it('names that differ only in case, in a project folder taken for case-insensitive', () => {
    const t = twoSided();
    write(t.a, 'ARXFILE.JSON', '{}');
    write(t.a, '.arxignore', '/ARXFILE.JSON\n');
    write(t.remote, 'rules/Spec.json', 'a');
    write(t.remote, 'rules/spec.json', 'b');
    write(t.remote, 'rules/other.json', 'c');
    const { code, status } = t.syncJson('a');
    expect(code, JSON.stringify(status.errors)).toBe(0);
    expect(status.warnings).toContain('2 names differ only in case or accents and cannot live together in the project folder (it ignores case); rename one of each on the remote (left alone): rules/Spec.json, rules/spec.json');
    expect(status.skipped).toEqual([
      { path: 'rules/Spec.json', side: 'local', why: 'case-clash' },
      { path: 'rules/spec.json', side: 'local', why: 'case-clash' },
    ]);
    expect(existsSync(join(t.a, 'rules/other.json'))).toBe(true);
    expect(existsSync(join(t.a, 'rules/spec.json'))).toBe(false);
  });
});
