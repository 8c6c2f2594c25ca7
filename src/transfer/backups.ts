/**
 * Versions a sync replaces or discards are first kept under
 * `.arx/backups/<sync_id>/`: local versions at `<path>`, remote versions at
 * `@remote/<path>`, each listed in `manifest.jsonl` (path, side, size, time).
 * Local overwrites keep a hard link to the old content (the new file is
 * renamed over the name, so the old inode lives on in the backup); local
 * deletions move the file in; remote versions are downloaded. The project's
 * files are reached through the project side (never through a link below its
 * root); the backup folder is arx's own state, which no sync writes into.
 */
import { appendFile, lstat, mkdir, writeFile } from 'node:fs/promises';
import { createWriteStream, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Side } from '../core/entry.js';
import { ArxError, errnoCode, fsErrorToArx } from '../errors.js';
import type { LocalFolderRemote } from '../remote/local/local-remote.js';
import type { Remote } from '../remote/types.js';
import { STATE_DIR } from '../scan/filter.js';
import { fsPath } from '../util/path-bytes.js';

export const BACKUPS_DIR = 'backups';
export const MANIFEST = 'manifest.jsonl';
/** Folder (inside a backup set) holding remote versions. */
export const REMOTE_PREFIX = '@remote';

export function backupsRoot(projectRoot: string): string {
  return join(projectRoot, STATE_DIR, BACKUPS_DIR);
}

export interface KeptVersion {
  path: string;
  side: Side;
  size: number;
  /** ISO time it was kept. */
  kept_at: string;
  /** Where it is, relative to the backup set's folder. */
  stored: string;
}

export class BackupStore {
  readonly dir: string;
  /** Versions kept by this store. */
  readonly kept: KeptVersion[] = [];

  constructor(
    projectRoot: string,
    readonly setId: string,
    /** The project folder, as the sync writes it. */
    private readonly project: Pick<LocalFolderRemote, 'putAside' | 'stat'>,
  ) {
    this.dir = join(backupsRoot(projectRoot), setId);
  }

  /** Where to keep a version: its own name, or `name.2`, `name.3`... when kept already (never overwrite a backup). */
  private async target(stored: string): Promise<string> {
    const dest = join(this.dir, stored);
    await mkdir(fsPath(dirname(dest)), { recursive: true });
    for (let i = 2, candidate = dest; ; candidate = `${dest}.${i++}`) if (!(await exists(candidate))) return candidate;
  }

  private async record(path: string, side: Side, dest: string): Promise<void> {
    const st = await lstat(fsPath(dest));
    const entry: KeptVersion = { path, side, size: st.isFile() ? st.size : 0, kept_at: new Date().toISOString(), stored: dest.slice(this.dir.length + 1) };
    this.kept.push(entry);
    await appendFile(join(this.dir, MANIFEST), JSON.stringify(entry) + '\n');
  }

  /** Keep the current content of a local file that is about to be replaced. */
  async keepBeforeOverwrite(path: string): Promise<void> {
    const dest = await this.target(path);
    try {
      await this.project.putAside(path, dest, 'link');
    } catch (err) {
      if (err instanceof ArxError) throw err;
      if (errnoCode(err) === 'ENOENT' && (await this.project.stat(path)) === undefined) return;
      if (errnoCode(err) === 'EEXIST') throw fsErrorToArx(err, `backing up ${path}`, 'local');
      try {
        await this.project.putAside(path, dest, 'copy');
      } catch (err2) {
        throw fsErrorToArx(err2, `backing up ${path}`, 'local');
      }
    }
    await this.record(path, 'local', dest);
  }

  /** Delete a local file or folder by moving it into the backups. */
  async moveIn(path: string): Promise<void> {
    const dest = await this.target(path);
    try {
      await this.project.putAside(path, dest, 'move');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw fsErrorToArx(err, `backing up ${path}`, 'local');
    }
    await this.record(path, 'local', dest);
  }

  /** Download the remote's current version of a file before it is replaced or discarded. */
  async keepRemote(remote: Remote, path: string): Promise<void> {
    const dest = await this.target(`${REMOTE_PREFIX}/${path}`);
    try {
      await pipeline(await remote.read(path), createWriteStream(fsPath(dest), { flags: 'wx' }));
    } catch (err) {
      throw fsErrorToArx(err, `backing up the remote version of ${path}`, 'local');
    }
    await this.record(path, 'remote', dest);
  }

  /** Keep bytes read from the remote (a version that was refused) as its remote version. */
  async keepRemoteBytes(path: string, data: Buffer): Promise<void> {
    const dest = await this.target(`${REMOTE_PREFIX}/${path}`);
    try {
      await writeFile(fsPath(dest), data, { flag: 'wx' });
    } catch (err) {
      throw fsErrorToArx(err, `keeping the remote version of ${path}`, 'local');
    }
    await this.record(path, 'remote', dest);
  }
}

/** Every backup set, oldest first: its id, folder and the versions its manifest lists. */
export function listBackupSets(projectRoot: string): { id: string; dir: string; kept: KeptVersion[]; time: number }[] {
  const root = backupsRoot(projectRoot);
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return [];
  }
  const sets = [];
  for (const id of ids) {
    const dir = join(root, id);
    let kept: KeptVersion[] = [];
    try {
      kept = readFileSync(join(dir, MANIFEST), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as KeptVersion);
    } catch {
      // A set without a (readable) manifest still counts for its age.
    }
    let time: number;
    try {
      time = kept.length > 0 ? Math.max(...kept.map((k) => Date.parse(k.kept_at))) : statSync(dir).mtimeMs;
    } catch {
      continue;
    }
    sets.push({ id, dir, kept, time });
  }
  return sets.sort((a, b) => a.time - b.time);
}

/** Remove backup sets older than `days` (0 keeps them forever); returns the ids removed. */
export function pruneBackups(projectRoot: string, days: number, nowMs: number): string[] {
  if (days <= 0) return [];
  const removed: string[] = [];
  for (const set of listBackupSets(projectRoot)) {
    if (nowMs - set.time <= days * 86_400_000) continue;
    rmSync(set.dir, { recursive: true, force: true });
    removed.push(set.id);
  }
  return removed;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(fsPath(p));
    return true;
  } catch {
    return false;
  }
}
