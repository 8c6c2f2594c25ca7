/**
 * `arx restore SYNC_ID [PATH...]`: put kept versions back into the project
 * folder (the next sync propagates them). The local version of a path is
 * preferred; `side` picks one. A current file that would be replaced is kept
 * in a new backup set first, so a restore can itself be undone.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Side } from '../core/entry.js';
import { UsageError } from '../errors.js';
import { BackupStore, listBackupSets, type KeptVersion } from '../transfer/backups.js';
import { openLocalSession } from './session.js';
import { fsPath } from '../util/path-bytes.js';

export interface RestoreResult {
  restored: { path: string; side: Side }[];
  unchanged: string[];
  /** Where replaced current versions were kept, if any. */
  backupSet?: string;
}

/** The versions to restore: per path the first kept (the one from before the sync), local preferred. */
function choose(kept: KeptVersion[], paths: string[], side: Side | undefined): KeptVersion[] {
  const wanted = (p: string): boolean => paths.length === 0 || paths.some((w) => p === w || p.startsWith(`${w}/`));
  const byPath = new Map<string, KeptVersion>();
  for (const k of kept) {
    if (!wanted(k.path) || (side !== undefined && k.side !== side)) continue;
    const had = byPath.get(k.path);
    if (had === undefined || (had.side === 'remote' && k.side === 'local')) byPath.set(k.path, k);
  }
  return [...byPath.values()];
}

/** Files stored for one kept version (a kept folder holds many). */
function filesOf(setDir: string, k: KeptVersion): { path: string; abs: string }[] {
  const abs = join(setDir, k.stored);
  if (!lstatSync(fsPath(abs)).isDirectory()) return [{ path: k.path, abs }];
  const out: { path: string; abs: string }[] = [];
  const walk = (rel: string): void => {
    for (const d of readdirSync(join(abs, rel), { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else if (d.isFile()) out.push({ path: `${k.path}/${r}`, abs: join(abs, r) });
    }
  };
  walk('');
  return out;
}

/** Needs the project folder only (no remote, no configuration): it also brings back a good arxfile.json. */
export async function restoreBackup(projectRoot: string, setId: string, paths: string[], side: Side | undefined, now: Date): Promise<RestoreResult> {
  const session = openLocalSession(projectRoot, `restore ${setId}`, now);
  try {
    const set = listBackupSets(projectRoot).find((s) => s.id === setId);
    if (set === undefined) throw new UsageError(`no backup set ${setId}; arx backups lists them`, 'NO_SUCH_BACKUP');
    const chosen = choose(set.kept, paths, side);
    if (chosen.length === 0) {
      throw new UsageError(`${setId} holds no ${side ?? ''} version of ${paths.join(', ') || 'any file'}; arx backups lists what it holds`.replace('  ', ' '), 'NOTHING_TO_RESTORE');
    }
    const result: RestoreResult = { restored: [], unchanged: [] };
    const safety = new BackupStore(projectRoot, `restore_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`, session.local);
    for (const k of chosen) {
      for (const f of filesOf(set.dir, k)) {
        const data = readFileSync(fsPath(f.abs));
        const current = await session.local.stat(f.path);
        if (current?.kind === 'file' && (await session.local.readAll(f.path)).equals(data)) {
          result.unchanged.push(f.path);
          continue;
        }
        if (current?.kind === 'file') await safety.keepBeforeOverwrite(f.path);
        else if (current?.kind === 'dir') throw new UsageError(`${f.path} is a folder in the project now; move it away to restore the file`, 'RESTORE_BLOCKED');
        await ensureFolders(session.local, dirname(f.path));
        // A restore is a new edit: it gets the current time, so the next sync propagates it.
        await session.local.write(f.path, data, { mtimeMs: now.getTime() });
        result.restored.push({ path: f.path, side: k.side });
      }
    }
    if (safety.kept.length > 0) result.backupSet = safety.setId;
    return result;
  } finally {
    await session.close();
  }
}

async function ensureFolders(local: { mkdir(p: string): Promise<void> }, folder: string): Promise<void> {
  if (folder === '.' || folder === '') return;
  const parts = folder.split('/');
  for (let i = 1; i <= parts.length; i++) await local.mkdir(parts.slice(0, i).join('/'));
}
