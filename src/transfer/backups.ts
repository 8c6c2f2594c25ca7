/**
 * Local files a sync overwrites or deletes are first kept under
 * `.arx/backups/<sync_id>/<path>`. Overwrites keep a hard link to the old
 * content (the new file is renamed over the name, so the old inode lives on
 * in the backup); deletions move the file into the backups.
 */
import { copyFile, link, lstat, mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoCode, fsErrorToArx } from '../errors.js';
import { STATE_DIR } from '../scan/filter.js';

export const BACKUPS_DIR = 'backups';

export function backupsRoot(projectRoot: string): string {
  return join(projectRoot, STATE_DIR, BACKUPS_DIR);
}

export class BackupStore {
  readonly dir: string;
  /** Paths kept during this sync. */
  readonly kept: string[] = [];

  constructor(
    private readonly projectRoot: string,
    syncId: string,
  ) {
    this.dir = join(backupsRoot(projectRoot), syncId);
  }

  /** Where to keep `path`: its own name, or `name.2`, `name.3`... if kept already (never overwrite a backup). */
  private async target(path: string): Promise<string> {
    const dest = join(this.dir, path);
    await mkdir(dirname(dest), { recursive: true });
    for (let i = 2, candidate = dest; ; candidate = `${dest}.${i++}`) if (!(await exists(candidate))) return candidate;
  }

  /** Keep the current content of a local file that is about to be replaced. */
  async keepBeforeOverwrite(path: string): Promise<void> {
    const src = join(this.projectRoot, path);
    const dest = await this.target(path);
    try {
      await link(src, dest);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && !(await exists(src))) return;
      if (errnoCode(err) === 'EEXIST') throw fsErrorToArx(err, `backing up ${src}`);
      try {
        await copyFile(src, dest);
      } catch (err2) {
        throw fsErrorToArx(err2, `backing up ${src}`);
      }
    }
    this.kept.push(path);
  }

  /** Delete a local file by moving it into the backups. */
  async moveIn(path: string): Promise<void> {
    const src = join(this.projectRoot, path);
    const dest = await this.target(path);
    try {
      await rename(src, dest);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw fsErrorToArx(err, `backing up ${src}`);
    }
    this.kept.push(path);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
