/**
 * Names that are not UTF-8 (here Latin-1: `caf\xe9.json`, `d\xf6r/`) sync like
 * any other, on the local remote and over SFTP (also on an SFTP-only account,
 * where the listing comes from READDIR rather than `find`); output shows them
 * escaped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { twoSided, type RemoteKind, type TwoSided } from '../helpers/cli.js';
import { describeOverSftp } from '../helpers/sshd.js';

/** The bytes of `root/rel`, `rel` given in Latin-1 (one byte per character). */
function at(root: string, rel: string): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`), Buffer.from(rel, 'latin1')]);
}

const FILE = 'caf\xe9.json';
const FOLDER = 'd\xf6r';
/** As output shows them. */
const FILE_SHOWN = 'caf\\xe9.json';
const FOLDER_SHOWN = 'd\\xf6r';

function names(dir: Buffer): string[] {
  return readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort();
}

function scenarios(kind: () => RemoteKind): void {
  let t: TwoSided;
  const two = () => (t = twoSided('names', {}, kind()));

  it('uploads, shows in --dry-run and the status escaped, downloads, and a no-op re-transfers nothing', () => {
    two();
    writeFileSync(at(t.a, FILE), '{"v":1}');
    mkdirSync(at(t.a, FOLDER));
    writeFileSync(at(t.a, `${FOLDER}/in.json`), '{"in":1}');
    const dry = t.syncJson('a', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.status.plan).toEqual(expect.arrayContaining([expect.objectContaining({ path: FILE_SHOWN, action: 'upload' }), expect.objectContaining({ path: `${FOLDER_SHOWN}/in.json`, action: 'upload' })]));
    const first = t.syncJson('a');
    expect(first.code, JSON.stringify(first.status.errors)).toBe(0);
    expect(first.status.files_uploaded).toBe(3);
    expect(first.status.skipped).toEqual([]);
    expect(readFileSync(at(t.remote, FILE), 'utf8')).toBe('{"v":1}');
    expect(readFileSync(at(t.remote, `${FOLDER}/in.json`), 'utf8')).toBe('{"in":1}');
    expect(t.syncJson('a').status.files_synced).toBe(0);
    const down = t.syncJson('b');
    expect(down.code, JSON.stringify(down.status.errors)).toBe(0);
    expect(down.status.files_downloaded).toBe(2);
    expect(names(Buffer.from(t.b))).toEqual(['.arx', 'arxfile.json', FILE, FOLDER].sort());
    expect(readFileSync(at(t.b, `${FOLDER}/in.json`), 'utf8')).toBe('{"in":1}');
    // The base survives: no-op syncs on both sides move nothing.
    expect(t.syncJson('b').status.files_synced).toBe(0);
    expect(t.syncJson('a').status.files_synced).toBe(0);
  });

  it('changes, renames and deletions propagate', () => {
    two();
    writeFileSync(at(t.a, FILE), 'one');
    mkdirSync(at(t.a, FOLDER));
    writeFileSync(at(t.a, `${FOLDER}/in.json`), 'in');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    // Changed in b, arrives in a.
    writeFileSync(at(t.b, FILE), 'two, longer');
    expect(t.sync('b').code).toBe(0);
    const changed = t.syncJson('a');
    expect(changed.status.files_downloaded).toBe(1);
    expect(readFileSync(at(t.a, FILE), 'utf8')).toBe('two, longer');
    // The folder renamed (to another Latin-1 name) and the file deleted in a.
    renameSync(at(t.a, FOLDER), at(t.a, 'D\xd6R'));
    rmSync(at(t.a, FILE));
    const moved = t.syncJson('a');
    expect(moved.code, JSON.stringify(moved.status.errors)).toBe(0);
    expect(existsSync(at(t.remote, FILE))).toBe(false);
    expect(existsSync(at(t.remote, FOLDER))).toBe(false);
    expect(readFileSync(at(t.remote, 'D\xd6R/in.json'), 'utf8')).toBe('in');
    expect(t.sync('b').code).toBe(0);
    expect(names(Buffer.from(t.b))).toEqual(['.arx', 'D\xd6R', 'arxfile.json'].sort());
    expect(t.syncJson('b').status.files_synced).toBe(0);
  });

  it('a folder of such names deleted by the other replica is kept, and arx restore puts it back byte for byte', () => {
    two();
    // Enough other files that deleting the folder is no mass deletion.
    mkdirSync(at(t.a, 'other'));
    for (let i = 0; i < 20; i++) writeFileSync(at(t.a, `other/f${i}.json`), `${i}`);
    mkdirSync(at(t.a, FOLDER));
    writeFileSync(at(t.a, `${FOLDER}/${FILE}`), 'inner');
    mkdirSync(at(t.a, `${FOLDER}/${FOLDER}`));
    writeFileSync(at(t.a, `${FOLDER}/${FOLDER}/deep.json`), 'deep');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    rmSync(at(t.b, FOLDER), { recursive: true });
    expect(t.sync('b').code).toBe(0);
    const gone = t.syncJson('a');
    expect(gone.code, JSON.stringify(gone.status.errors)).toBe(0);
    expect(existsSync(at(t.a, FOLDER))).toBe(false);
    const backups = JSON.parse(t.run('a', 'backups', '--json').stdout) as { sync_id: string; path: string }[];
    expect(backups.map((b) => b.path)).toEqual(expect.arrayContaining([`${FOLDER_SHOWN}/${FILE_SHOWN}`]));
    const r = t.run('a', 'restore', gone.status.sync_id);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(at(t.a, `${FOLDER}/${FILE}`), 'utf8')).toBe('inner');
    expect(readFileSync(at(t.a, `${FOLDER}/${FOLDER}/deep.json`), 'utf8')).toBe('deep');
    expect(t.sync('a').code).toBe(0);
    expect(readFileSync(at(t.remote, `${FOLDER}/${FILE}`), 'utf8')).toBe('inner');
  });

  it('a conflict shows escaped in arx conflicts, and arx resolve takes the escaped form', () => {
    two();
    writeFileSync(at(t.a, FILE), 'base');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    writeFileSync(at(t.a, FILE), 'local edit');
    writeFileSync(at(t.b, FILE), 'remote edit, longer');
    expect(t.sync('b').code).toBe(0);
    const c = t.syncJson('a');
    expect(c.code).toBe(3);
    expect(c.status.conflicts.map((x: { path: string }) => x.path)).toEqual([FILE_SHOWN]);
    const listed = t.run('a', 'conflicts');
    expect(listed.stdout).toContain(FILE_SHOWN);
    expect(JSON.parse(t.run('a', 'conflicts', '--json').stdout).map((x: { path: string }) => x.path)).toEqual([FILE_SHOWN]);
    const r = t.run('a', 'resolve', FILE_SHOWN, '--keep', 'local');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`kept the local version of ${FILE_SHOWN}`);
    expect(readFileSync(at(t.remote, FILE), 'utf8')).toBe('local edit');
    expect(t.syncJson('a').code).toBe(0);
  });
}

describe('names that are not UTF-8, on the local remote', () => {
  scenarios(() => ({ kind: 'local' }));
});

describeOverSftp('names that are not UTF-8, over SFTP', scenarios);

describeOverSftp('names that are not UTF-8, over SFTP without a shell', scenarios, { sftpOnly: true });
