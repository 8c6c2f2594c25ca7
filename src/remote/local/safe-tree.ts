/**
 * Folders below a root, reached without following a symbolic link at any
 * depth (the root itself may be one: the user chose it).
 *
 * On Linux each folder is held as a descriptor opened with O_NOFOLLOW |
 * O_DIRECTORY, walking from the root's descriptor one name at a time through
 * `/proc/self/fd/<parent>/<name>`: the kernel resolves `/proc/self/fd/N` to
 * exactly the folder N holds, so this is openat(N, name, O_NOFOLLOW), which
 * Node lacks. An operation on `<held>/<name>` (create, rename, unlink, mkdir,
 * rmdir, lstat) then acts in that folder whatever happens meanwhile to the
 * names above it: a folder swapped for a link cannot redirect it. The same
 * idea as rsync 3.4's secure_relative_open().
 *
 * Invariants:
 * - a held descriptor was reached from the root without following a link;
 * - a descriptor is closed only when no operation holds it (numbers are reused);
 * - before a write, a held folder is checked to still be at its path (one
 *   lstat), so a swap is reported as SYMLINK_IN_PATH instead of going on
 *   silently into the folder that was moved away. Residual: a folder moved
 *   outside the root with a link to it left in its place still receives the
 *   writes already in flight into it; moving it there needs write access to
 *   that place.
 *
 * Where /proc/self/fd is missing (not Linux), every component is lstat-checked
 * before each operation and the folder's device and inode are checked again
 * after it (recheck()): a swap in between is not prevented there, only reported.
 */
import fs from 'node:fs';
import { errnoCode, SymlinkInPathError } from '../../errors.js';
import { fsPath } from '../../util/path-bytes.js';

const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

/** How many folder descriptors one tree keeps open when idle. */
export const MAX_HELD = 128;

/** A folder held for the duration of one operation. */
export interface HeldFolder {
  /** The folder as a path: `/proc/self/fd/N`, or (fallback) the checked absolute path (for a system call, through fsPath). */
  readonly dir: string;
  /** Fallback only: the folder is still the one checked, reached without links (else SYMLINK_IN_PATH). */
  recheck(): void;
  release(): void;
}

interface Held {
  fd: number;
  dev: number;
  ino: number;
  refs: number;
  /** Out of the cache: closed once the last holder releases it. */
  dropped: boolean;
}

let procFdWorks: boolean | undefined;

/** Does `/proc/self/fd/N` name the folder descriptor N holds? Tested once per process. */
export function haveProcFd(): boolean {
  if (procFdWorks !== undefined) return procFdWorks;
  procFdWorks = false;
  if (process.platform !== 'linux') return false;
  try {
    const fd = fs.openSync('/', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      const viaProc = fs.statSync(`/proc/self/fd/${fd}/.`);
      const direct = fs.fstatSync(fd);
      procFdWorks = viaProc.dev === direct.dev && viaProc.ino === direct.ino;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    procFdWorks = false;
  }
  return procFdWorks;
}

/** `a/b/c` -> [`a/b`, `c`]; a top-level name has the folder ''. */
export function splitPath(rel: string): [string, string] {
  const at = rel.lastIndexOf('/');
  return at < 0 ? ['', rel] : [rel.slice(0, at), rel.slice(at + 1)];
}

export class SafeTree {
  private readonly held = new Map<string, Held>();
  private rootHeld: Held | undefined;
  private readonly useFds: boolean;

  constructor(
    /** Absolute path of the root. */
    readonly root: string,
    opts: { fallback?: boolean } = {},
  ) {
    this.useFds = !opts.fallback && haveProcFd();
  }

  /** Descriptors open now (tests check none leak). */
  get openCount(): number {
    let n = this.rootHeld ? 1 : 0;
    for (const h of this.held.values()) if (!h.dropped) n++;
    return n;
  }

  /**
   * Hold the folder that contains `rel` (its parent). `forWrite`: check first
   * that a held folder is still at its path, so a swap is reported. Throws
   * SYMLINK_IN_PATH, or the system's error (ENOENT, ENOTDIR) for a folder
   * that is missing or a file.
   */
  parentOf(rel: string, forWrite: boolean): HeldFolder {
    return this.folder(splitPath(rel)[0], forWrite);
  }

  /** Hold the folder `rel` itself ('' is the root). */
  folder(rel: string, forWrite: boolean): HeldFolder {
    if (!this.useFds) return this.checkedPath(rel);
    const h = this.hold(rel, forWrite);
    let released = false;
    return {
      dir: `/proc/self/fd/${h.fd}`,
      recheck: () => undefined,
      release: () => {
        if (released) return;
        released = true;
        this.unhold(h);
      },
    };
  }

  /** `rel` (a folder arx removed or renamed) and everything below it are no longer what was held. */
  forget(rel: string): void {
    const prefix = `${rel}/`;
    for (const [path, h] of this.held) if (path === rel || path.startsWith(prefix)) this.drop(path, h);
  }

  /** Close every descriptor (those still held close when released). */
  close(): void {
    for (const [path, h] of this.held) this.drop(path, h);
    if (this.rootHeld) {
      this.rootHeld.dropped = true;
      if (this.rootHeld.refs === 0) fs.closeSync(this.rootHeld.fd);
      this.rootHeld = undefined;
    }
  }

  private hold(rel: string, forWrite: boolean): Held {
    if (rel === '') return this.holdRoot(forWrite);
    let h = this.held.get(rel);
    if (h !== undefined && forWrite && !this.stillAt(rel, h)) {
      this.drop(rel, h);
      h = undefined;
    }
    if (h === undefined) {
      h = this.open(rel, forWrite);
      this.held.set(rel, h);
      this.evict();
    } else {
      // Most recently used last: eviction takes the oldest first.
      this.held.delete(rel);
      this.held.set(rel, h);
    }
    h.refs++;
    return h;
  }

  private holdRoot(forWrite: boolean): Held {
    let h = this.rootHeld;
    // The root may be a link (the user's choice): it is followed, and opened again if it now names another folder.
    if (h !== undefined && forWrite && !sameId(statOrUndefined(this.root, true), h)) {
      h.dropped = true;
      if (h.refs === 0) fs.closeSync(h.fd);
      h = this.rootHeld = undefined;
    }
    if (h === undefined) {
      const fd = fs.openSync(this.root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      const st = fs.fstatSync(fd);
      h = this.rootHeld = { fd, dev: st.dev, ino: st.ino, refs: 0, dropped: false };
    }
    h.refs++;
    return h;
  }

  /** Open `rel` from its parent's descriptor, never following a link. */
  private open(rel: string, forWrite: boolean): Held {
    const [dir, name] = splitPath(rel);
    const parent = this.hold(dir, forWrite);
    try {
      const at = `/proc/self/fd/${parent.fd}/${name}`;
      let fd: number;
      try {
        fd = fs.openSync(fsPath(at), DIR_FLAGS);
      } catch (err) {
        const code = errnoCode(err);
        if ((code === 'ENOTDIR' || code === 'ELOOP') && statOrUndefined(at, false)?.isSymbolicLink()) throw new SymlinkInPathError(`${this.root}/${rel}`, `${this.root}/${rel}`);
        throw err;
      }
      const st = fs.fstatSync(fd);
      return { fd, dev: st.dev, ino: st.ino, refs: 0, dropped: false };
    } finally {
      this.unhold(parent);
    }
  }

  /** Is the folder held for `rel` still the one at that path? */
  private stillAt(rel: string, h: Held): boolean {
    return sameId(statOrUndefined(`${this.root}/${rel}`, false), h);
  }

  private unhold(h: Held): void {
    h.refs--;
    if (h.refs === 0 && h.dropped) fs.closeSync(h.fd);
  }

  private drop(rel: string, h: Held): void {
    this.held.delete(rel);
    h.dropped = true;
    if (h.refs === 0) fs.closeSync(h.fd);
  }

  /** Close the least recently used idle folders beyond MAX_HELD. */
  private evict(): void {
    if (this.held.size <= MAX_HELD) return;
    for (const [path, h] of this.held) {
      if (this.held.size <= MAX_HELD) return;
      if (h.refs === 0) this.drop(path, h);
    }
  }

  /** Fallback: every component of `rel` is a real folder now, and still the same one at recheck(). */
  private checkedPath(rel: string): HeldFolder {
    const dir = rel === '' ? this.root : `${this.root}/${rel}`;
    const first = this.checkComponents(rel);
    return {
      dir,
      recheck: () => {
        if (!sameId(this.checkComponents(rel), first)) throw new SymlinkInPathError(dir, dir);
      },
      release: () => undefined,
    };
  }

  private checkComponents(rel: string): fs.Stats {
    let st = fs.statSync(this.root);
    if (rel === '') return st;
    let path = this.root;
    for (const name of rel.split('/')) {
      path = `${path}/${name}`;
      st = fs.lstatSync(fsPath(path));
      if (st.isSymbolicLink()) throw new SymlinkInPathError(`${this.root}/${rel}`, path);
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, ${path}`), { code: 'ENOTDIR' });
    }
    return st;
  }
}

function sameId(st: { dev: number; ino: number } | undefined, h: { dev: number; ino: number }): boolean {
  return st !== undefined && st.dev === h.dev && st.ino === h.ino;
}

function statOrUndefined(path: string, follow: boolean): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(fsPath(path)) : fs.lstatSync(fsPath(path));
  } catch {
    return undefined;
  }
}
