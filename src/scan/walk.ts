/**
 * Walk a local folder tree: files with size, mtime, ctime and inode; folders;
 * what was skipped and why.
 */
import { lstatSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import { errnoCode } from '../errors.js';
import { isTempName, type ListFilter, type ListResult } from '../remote/types.js';

/** Serves as a scan entry and a remote entry alike, so no copies are made. */
export interface WalkedFile {
  kind: 'file';
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** Filled in by the scan (stat cache or hashing). */
  hash?: string;
}

export interface WalkedDir {
  kind: 'dir';
  size: 0;
  mtimeMs: 0;
}

export type WalkedEntry = WalkedFile | WalkedDir;

export interface WalkResult extends Omit<ListResult, 'entries'> {
  entries: Map<string, WalkedEntry>;
}

export interface WalkOptions {
  filter?: ListFilter;
  /** Top-level names never walked (e.g. ".arx"). */
  skipTopLevel?: ReadonlySet<string>;
  /** Walk only this sub-folder of root (paths stay relative to root). */
  under?: string;
}

export function fileFromStats(st: Stats): WalkedFile {
  return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

/**
 * Walk `root` (absolute). A missing root yields an empty result. Uses
 * synchronous calls on purpose: for many small directory entries they are
 * several times faster than the thread-pool round trips of the async API.
 */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const result: WalkResult = { entries: new Map(), unreadable: [], special: [], temporaries: [], tooLarge: [] };
  const start = opts.under ?? '';
  const queue: string[] = [start];
  const filter = opts.filter;
  const max = filter?.maxFileSize;
  while (queue.length > 0) {
    const rel = queue.pop()!;
    const abs = rel === '' ? root : `${root}/${rel}`;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' || rel !== start) result.unreadable.push(rel);
      continue;
    }
    for (const d of dirents) {
      const name = d.name;
      if (rel === '' && opts.skipTopLevel?.has(name)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      if (isTempName(name)) {
        result.temporaries.push(path);
      } else if (d.isDirectory()) {
        if (filter?.excludeDir(path)) continue;
        result.entries.set(path, { kind: 'dir', size: 0, mtimeMs: 0 });
        queue.push(path);
      } else if (d.isFile()) {
        if (filter?.excludeFile(path)) continue;
        let st: Stats | undefined;
        try {
          st = lstatSync(`${abs}/${name}`);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') result.unreadable.push(path);
          continue;
        }
        if (!st.isFile()) continue;
        if (max !== undefined && st.size > max) result.tooLarge.push(path);
        else result.entries.set(path, fileFromStats(st));
      } else if (!(filter?.excludeFile(path) ?? false)) {
        result.special.push(path);
      }
    }
  }
  return result;
}
