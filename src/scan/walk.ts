/**
 * Walk a local folder tree: files with size, mtime, ctime and inode; folders;
 * what was skipped and why. Folders are read in parallel.
 */
import { lstat, readdir } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { errnoCode } from '../errors.js';
import { isTempName, type ListFilter, type ListResult } from '../remote/types.js';

export interface WalkedFile {
  kind: 'file';
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface WalkedDir {
  kind: 'dir';
}

export type WalkedEntry = WalkedFile | WalkedDir;

export interface WalkResult extends Omit<ListResult, 'entries'> {
  entries: Map<string, WalkedEntry>;
}

export interface WalkOptions {
  filter?: ListFilter;
  /** Top-level names never walked (e.g. ".arx"). */
  skipTopLevel?: ReadonlySet<string>;
  /** Folders read at once. */
  concurrency?: number;
  /** Walk only this sub-folder of root (paths stay relative to root). */
  under?: string;
}

export function fileFromStats(st: Stats): WalkedFile {
  return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

/** Walk `root` (absolute). A missing root yields an empty result. */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const result: WalkResult = { entries: new Map(), unreadable: [], special: [], temporaries: [], tooLarge: [] };
  const queue: string[] = [opts.under ?? ''];
  const limit = opts.concurrency ?? 8;
  let active = 0;

  const readOne = async (rel: string): Promise<void> => {
    const abs = rel === '' ? root : `${root}/${rel}`;
    let dirents: Dirent[];
    try {
      dirents = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && rel === (opts.under ?? '')) return;
      if (errnoCode(err) !== 'ENOENT') result.unreadable.push(rel);
      return;
    }
    const stats: Promise<void>[] = [];
    for (const d of dirents) {
      const name = d.name;
      if (rel === '' && opts.skipTopLevel?.has(name)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      if (isTempName(name)) {
        result.temporaries.push(path);
        continue;
      }
      if (d.isDirectory()) {
        if (opts.filter?.excludeDir(path)) continue;
        result.entries.set(path, { kind: 'dir' });
        queue.push(path);
      } else if (d.isFile()) {
        if (opts.filter?.excludeFile(path)) continue;
        stats.push(
          lstat(`${abs}/${name}`).then(
            (st) => {
              if (!st.isFile()) return;
              const max = opts.filter?.maxFileSize;
              if (max !== undefined && st.size > max) {
                result.tooLarge.push(path);
                return;
              }
              result.entries.set(path, fileFromStats(st));
            },
            (err) => {
              if (errnoCode(err) !== 'ENOENT') result.unreadable.push(path);
            },
          ),
        );
      } else if (!(opts.filter?.excludeFile(path) ?? false)) {
        result.special.push(path);
      }
    }
    await Promise.all(stats);
  };

  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (active < limit && queue.length > 0) {
        const rel = queue.pop()!;
        active++;
        readOne(rel).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          reject,
        );
      }
      if (queue.length === 0 && active === 0) resolve();
    };
    pump();
  });
  return result;
}
