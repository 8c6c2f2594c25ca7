/**
 * What the core knows about a path: its kind, and for files the size, mtime
 * and content hash. Paths are relative, '/'-separated, never empty, never
 * containing '.' or '..' segments.
 */

export type EntryKind = 'file' | 'dir';
export type Side = 'local' | 'remote';

export interface FileEntry {
  kind: 'file';
  size: number;
  mtimeMs: number;
  /** sha256 hex of the content; undefined when not known (remote changed since the base). */
  hash?: string;
}

export interface DirEntry {
  kind: 'dir';
}

export type Entry = FileEntry | DirEntry;

/** Size and mtime of one side as last seen when the base was written. */
export interface SideStat {
  size: number;
  mtimeMs: number;
  /** Local disk only: change time and inode. With size and mtime they prove a file unchanged without reading it. */
  ctimeMs?: number;
  ino?: number;
  /**
   * Remote only: the file was seen so soon after its modification time that
   * another change within the same time step (a whole second on SFTP) would
   * look the same: its stat cannot vouch for its content next time.
   */
  racy?: boolean;
}

/** Was a remote file modified too recently before `seenAt` for its stat to vouch for it later? */
export function isRacyRemote(mtimeMs: number, seenAt: number, precisionMs: number): boolean {
  return seenAt - mtimeMs < precisionMs + 1000;
}

/**
 * A file modified this recently before it was read may change again within
 * the filesystem's timestamp granularity without its stat changing, so its
 * stat must not vouch for its content. Whole-second mtimes suggest a coarse
 * filesystem (FAT, some network mounts).
 */
export function racyWindowMs(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? 2000 : 100;
}

export function isRacy(mtimeMs: number, readAtMs: number): boolean {
  return readAtMs - mtimeMs <= racyWindowMs(mtimeMs);
}

/** Does a local file's current stat match what the base saw (so its content is the base's)? */
export function statMatches(seen: SideStat, now: { size: number; mtimeMs: number; ctimeMs?: number; ino?: number }): boolean {
  return seen.size === now.size && seen.mtimeMs === now.mtimeMs && seen.ctimeMs === now.ctimeMs && seen.ino === now.ino;
}

/** The last synced state of a path: equal content on both sides at that time. */
export interface BaseEntry {
  kind: EntryKind;
  /** Content hash for files; null for folders. */
  hash: string | null;
  local: SideStat;
  remote: SideStat;
}

export function otherSide(side: Side): Side {
  return side === 'local' ? 'remote' : 'local';
}

export function depth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

export function parentOf(path: string): string | undefined {
  const i = path.lastIndexOf('/');
  return i < 0 ? undefined : path.slice(0, i);
}

export function isDescendant(path: string, ancestor: string): boolean {
  return path.length > ancestor.length && path.charCodeAt(ancestor.length) === 47 && path.startsWith(ancestor);
}

/**
 * Order that keeps every folder's descendants right after it: code-unit
 * order with '/' sorting before every other character. Allocates nothing.
 */
export function compareTreeOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca === 47) ca = -1;
    if (cb === 47) cb = -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Mtimes equal at the given precision (ms). */
export function sameMtime(a: number, b: number, precisionMs: number): boolean {
  if (precisionMs <= 1) return Math.floor(a) === Math.floor(b);
  return Math.floor(a / precisionMs) === Math.floor(b / precisionMs);
}

/** Equal content: both absent, both folders, or files with the same known hash. */
export function sameContent(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'dir') return true;
  const bh = (b as FileEntry).hash;
  return a.hash !== undefined && bh !== undefined && a.hash === bh;
}

/** Has `entry` changed since `base`? Unknown hashes count as changed. */
export function changedSinceBase(base: BaseEntry | undefined, entry: Entry | undefined): boolean {
  if (base === undefined) return entry !== undefined;
  if (entry === undefined) return true;
  if (entry.kind !== base.kind) return true;
  if (entry.kind === 'dir') return false;
  return entry.hash === undefined || entry.hash !== base.hash;
}

/**
 * The remote's hash when its size and mtime still match what the base saw;
 * otherwise undefined (the file changed, or we cannot tell without reading it).
 */
export function knownRemoteHash(base: BaseEntry | undefined, remote: FileEntry, precisionMs: number): string | undefined {
  if (base === undefined || base.kind !== 'file' || base.hash === null || base.remote.racy) return undefined;
  if (remote.size !== base.remote.size) return undefined;
  return sameMtime(remote.mtimeMs, base.remote.mtimeMs, precisionMs) ? base.hash : undefined;
}
