/**
 * No write escapes a root: a folder swapped for a symbolic link while a sync
 * writes into it fails those paths (named in the status), and nothing lands
 * where the link points.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arxAsync, snapshot, tempDir, twoSided, write, type TwoSided } from '../helpers/cli.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const FILES = 1500;
const BULK = 'symbols/bulk';

function bulkFiles(root: string): void {
  for (let i = 0; i < FILES; i++) write(root, `${BULK}/s${String(i).padStart(4, '0')}.json`, `{"n":${i}}`);
}

/**
 * While `sync` runs, once `folder` holds `atFiles` entries: move it aside to
 * `aside` (inside the same root) and put a link to `outside` in its place.
 * Resolves with the sync's status and whether the swap happened mid-way.
 */
async function syncWhileSwapping(t: TwoSided, folder: string, aside: string, outside: string, atFiles = 20): Promise<{ code: number; status: any; swapped: boolean }> {
  const running = arxAsync(['sync', '--json', '--quiet'], { cwd: t.a, env: t.env });
  let finished = false;
  void running.then(() => (finished = true));
  let swapped = false;
  while (!finished && !swapped) {
    await new Promise((r) => setImmediate(r));
    let n = 0;
    try {
      n = readdirSync(folder).length;
    } catch {
      continue;
    }
    if (n >= atFiles && n < FILES / 2) {
      renameSync(folder, aside);
      symlinkSync(outside, folder);
      swapped = true;
    }
  }
  const r = await running;
  return { code: r.code, status: JSON.parse(r.stdout), swapped };
}

/** Paths (below the project) that the status names as failed by a link on their way. */
function symlinkFailures(status: any): string[] {
  return status.errors.filter((e: any) => e.code === 'SYMLINK_IN_PATH').map((e: any) => e.path);
}

/** Undo the swap: the link goes, the real folder comes back. */
function unswap(folder: string, aside: string): void {
  unlinkSync(folder);
  renameSync(aside, folder);
}

function filesUnder(map: Map<string, string>, prefix: string): Map<string, string> {
  return new Map([...map].filter(([p]) => p.startsWith(prefix)));
}

describe('a folder swapped for a symbolic link during a sync', () => {
  /**
   * A sync that writes FILES new files into `BULK` on `target` (the remote: an upload; the project:
   * a download) while that folder is swapped for a link: nothing lands outside, the failed paths are
   * named, and after the swap is undone the next sync converges. Returns what the sync reported.
   */
  async function swappedDuringSync(id: string, target: 'remote' | 'project'): Promise<{ t: TwoSided; status: any; folder: string; aside: string }> {
    const t = twoSided(id);
    write(t.a, 'rules/keep.json', '{}');
    expect(t.sync('a').code).toBe(0);
    bulkFiles(target === 'remote' ? t.a : t.remote);
    const outside = tempDir('arx-outside-');
    const root = target === 'remote' ? t.remote : t.a;
    const folder = join(root, BULK);
    const aside = join(root, 'symbols/bulk-aside');
    const { code, status, swapped } = await syncWhileSwapping(t, folder, aside, outside);
    expect(swapped, 'the swap happened while files were being written').toBe(true);
    expect(readdirSync(outside)).toEqual([]);
    expect(code, JSON.stringify(status.errors.filter((e: any) => e.code !== 'SYMLINK_IN_PATH').slice(0, 3))).toBe(5);
    const failed = symlinkFailures(status);
    expect(failed.length).toBeGreaterThan(FILES / 2);
    for (const p of failed) expect(p.startsWith(`${BULK}/`), p).toBe(true);
    return { t, status, folder, aside };
  }

  function convergesAfterUnswap(t: TwoSided, folder: string, aside: string): void {
    unswap(folder, aside);
    const again = t.syncJson('a');
    expect(again.code, JSON.stringify(again.status.errors)).toBe(0);
    expect(filesUnder(snapshot(t.a), BULK)).toEqual(filesUnder(snapshot(t.remote), BULK));
    expect(filesUnder(snapshot(t.a), BULK).size).toBe(FILES + 1);
    expect(t.syncJson('a').status.files_synced).toBe(0);
  }

  it('on the local remote: nothing lands outside, the paths are named, the next sync converges', async () => {
    const { t, status, folder, aside } = await swappedDuringSync('swap-remote', 'remote');
    expect(status.errors.find((e: any) => e.code === 'SYMLINK_IN_PATH').message).toContain(`${folder} is a symbolic link`);
    // The rest of the sync went on: every file is inside the remote folder (moved aside with it), or failed by
    // name (a few may find no folder at all, in the instant between the move and the link).
    const placed = readdirSync(aside).filter((n) => !n.startsWith('.arx-tmp-')).length;
    expect(new Set(status.errors.map((e: any) => e.code))).toEqual(new Set(['SYMLINK_IN_PATH', ...(status.errors.some((e: any) => e.code === 'NOT_FOUND') ? ['NOT_FOUND'] : [])]));
    expect(placed + status.errors.length).toBe(FILES);
    convergesAfterUnswap(t, folder, aside);
  });

  it('in the project folder during a download: nothing lands outside, the paths are named, the next sync converges', async () => {
    const { t, folder, aside } = await swappedDuringSync('swap-project', 'project');
    convergesAfterUnswap(t, folder, aside);
  });

  it('a link that is there before the sync is left alone on either side, and nothing is written through it', () => {
    const t = twoSided('static-link');
    write(t.a, 'rules/keep.json', '{}');
    expect(t.sync('a').code).toBe(0);
    const outside = tempDir('arx-outside-');
    // On the remote, a link where the project has a folder; in the project, a link where the remote has one.
    symlinkSync(outside, join(t.remote, 'models'));
    write(t.a, 'models/site.ifc', 'model');
    mkdirSync(join(t.remote, 'reports'));
    write(t.remote, 'reports/r.json', '{}');
    symlinkSync(outside, join(t.a, 'reports'));
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(status.warnings).toContain('1 symbolic link in the project folder was skipped (links are not followed): reports');
    expect(status.warnings).toContain('1 symbolic link on the remote was skipped (links are not followed): models');
    expect(existsSync(join(t.remote, 'reports/r.json'))).toBe(true);
  });
});

describe.runIf(haveSshd())('a folder on the SFTP server that is a symbolic link', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  const viaSshd = () => ({ kind: 'sftp' as const, port: sshd.port, user: sshd.user, clientKey: sshd.clientKey, knownHosts: sshd.knownHosts });

  it('swapped in after the listing: nothing is written through it (batches and single files), the paths are named, the next sync converges', async () => {
    const t = twoSided('swap-sftp', {}, viaSshd());
    write(t.a, 'rules/keep.json', '{}');
    expect(t.sync('a').code).toBe(0);
    bulkFiles(t.a);
    write(t.a, `${BULK}/big.ifc`, Buffer.alloc(300 * 1024, 7)); // too big for a batch: written on its own
    const outside = tempDir('arx-outside-');
    const folder = join(t.remote, BULK);
    const aside = join(t.remote, 'symbols/bulk-aside');

    // Swapped as soon as the sync has created the folder on the server.
    const { code, status, swapped } = await syncWhileSwapping(t, folder, aside, outside, 0);
    expect(swapped).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
    expect(code, JSON.stringify(status.errors.filter((e: any) => e.code !== "SYMLINK_IN_PATH").slice(0, 3))).toBe(5);
    const failed = symlinkFailures(status);
    expect(failed).toContain(`${BULK}/big.ifc`);
    expect(failed.length).toBeGreaterThan(FILES / 2);
    for (const p of failed) expect(p.startsWith(`${BULK}/`), p).toBe(true);

    unswap(folder, aside);
    const again = t.syncJson('a');
    expect(again.code, JSON.stringify(again.status.errors)).toBe(0);
    expect(filesUnder(snapshot(t.remote), BULK)).toEqual(filesUnder(snapshot(t.a), BULK));
    expect(t.syncJson('a').status.files_synced).toBe(0);
  });

  it('there before the sync: it is left alone and nothing is written through it', () => {
    const t = twoSided('static-sftp', {}, viaSshd());
    write(t.a, 'rules/keep.json', '{}');
    expect(t.sync('a').code).toBe(0);
    const outside = tempDir('arx-outside-');
    symlinkSync(outside, join(t.remote, 'models'));
    for (let i = 0; i < 100; i++) write(t.a, `models/m${i}.json`, '{}');
    const { code, status } = t.syncJson('a');
    expect(code).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(status.warnings).toContain('1 symbolic link on the remote was skipped (links are not followed): models');
  });
});
