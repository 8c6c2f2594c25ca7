/**
 * A path the SFTP server's file system refuses (here: longer than PATH_MAX
 * there, because the remote folder's own path is long) is skipped with a
 * warning naming it, not a sync error; everything else syncs. (The local
 * remote reaches such a path folder by folder, so it holds it.)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { twoSided, type RemoteKind } from '../helpers/cli.js';
import { describeOverSftp } from '../helpers/sshd.js';

const PATH_MAX = 4096;
const part = (c: string) => c.repeat(200);

function scenario(kind: () => RemoteKind): void {
  it('a file whose path the remote cannot hold is skipped and named, the rest is uploaded', () => {
    // The remote folder's path alone is about 2000 bytes; the local one is short.
    const remotePath = `/projects/${Array.from({ length: 10 }, () => part('r')).join('/')}`;
    const t = twoSided('refused', { sync: { enabled: true, remote_path: remotePath } }, kind());
    const remoteAbs = join(t.remoteRoot, remotePath);
    // A folder whose remote path still fits, and a file in it whose remote path does not.
    const folderParts = Math.floor((PATH_MAX - 100 - remoteAbs.length) / 201);
    const folder = Array.from({ length: folderParts }, () => part('f')).join('/');
    const name = `${'n'.repeat(240)}.json`;
    const tooLong = `${folder}/${name}`;
    expect(`${remoteAbs}/${folder}`.length).toBeLessThan(PATH_MAX - 50);
    expect(`${remoteAbs}/${tooLong}`.length).toBeGreaterThan(PATH_MAX);
    mkdirSync(join(t.a, folder), { recursive: true });
    writeFileSync(join(t.a, tooLong), '{"v":1}');
    writeFileSync(join(t.a, 'fine.json'), '{"ok":1}');

    const r = t.syncJson('a');
    expect(r.status.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(existsSync(join(remoteAbs, 'fine.json'))).toBe(true);
    expect(existsSync(join(remoteAbs, folder))).toBe(true);
    expect(r.status.skipped).toEqual([expect.objectContaining({ path: tooLong, side: 'remote', why: 'name-not-storable' })]);
    const warning = r.status.warnings.find((w: string) => w.includes(name));
    expect(warning, JSON.stringify(r.status.warnings)).toMatch(/refused/);
    // Still refused next time, still a warning and not an error.
    const again = t.syncJson('a');
    expect(again.code).toBe(0);
    expect(again.status.errors).toEqual([]);
    expect(again.status.skipped.map((s: { path: string }) => s.path)).toEqual([tooLong]);
  });
}

describeOverSftp('a path the remote refuses, over SFTP', scenario);
