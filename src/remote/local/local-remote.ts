/**
 * A folder on a local or mounted disk. Also serves as the project side of a
 * sync, so both ends share one implementation of atomic writes.
 *
 * Every operation reaches its folder through a SafeTree: never through a
 * symbolic link below the root, so a folder swapped for a link during a sync
 * fails that path (SYMLINK_IN_PATH) instead of redirecting it. The last name
 * is never followed either (lstat, O_EXCL creates, O_NOFOLLOW reads).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, createReadStream, createWriteStream, fstatSync, openSync, statSync, writeFileSync, type PathLike, type Stats } from 'node:fs';
import { copyFile, link, lutimes, mkdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { asyncIo, closeFd, lstat, openFd, READ_NOFOLLOW, readFd, readWholeSync, syncIo, type WholeFileIo } from './fd-io.js';
import { isNetworkFolder } from './fs-kind.js';
import { haveProcFd, SafeTree, splitPath, type HeldFolder } from './safe-tree.js';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArxError, errnoCode, fsErrorToArx, SymlinkInPathError, type FsSide } from '../../errors.js';
import { walkLocal } from '../../scan/find-walk.js';
import { compactToResult, type CompactWalk } from '../../scan/walk.js';
import { decodePath, fsPath } from '../../util/path-bytes.js';
import { assertSafeRelativePath } from '../paths.js';
import { tempName, type FillSource, type KnownBase, type LocalFileSource, type ListFilter, type ListResult, type Remote, type RemoteEntry, type WriteOptions } from '../types.js';

export class LocalFolderRemote implements Remote {
  readonly capabilities = { mtimePrecisionMs: 1, cheapHash: true };

  private readonly writer: string;
  private readonly hiddenTopLevel: ReadonlySet<string>;
  private readonly identity: boolean;
  private readonly side: FsSide;
  /** Local disk: whole small files are read and written with synchronous calls (see fs-kind.ts). */
  private readonly io: WholeFileIo;

  constructor(
    /** Absolute path of the folder. */
    readonly root: string,
    opts: {
      /** Names this writer's temporary files, see tempName(). */
      writer?: string;
      /** Top-level names this remote never lists (the project side hides `.arx`). */
      hiddenTopLevel?: ReadonlySet<string>;
      /** Written files report ctime and inode as they are after the rename (the project side keeps them). */
      identity?: boolean;
      /** Check paths by lstat instead of holding folder descriptors (what systems without /proc/self/fd do; tests). */
      fallback?: boolean;
      /** Which side of a sync this folder is: the category of its faults (default: the remote). */
      side?: FsSide;
    } = {},
  ) {
    this.writer = opts.writer ?? 'anon';
    this.hiddenTopLevel = opts.hiddenTopLevel ?? new Set();
    this.identity = opts.identity ?? false;
    this.side = opts.side ?? 'remote';
    this.io = isNetworkFolder(root) ? asyncIo : syncIo;
    this.rootIdentity = identityOf(root);
    this.tree = new SafeTree(root, { fallback: opts.fallback });
  }

  /** The folders below the root, held without following links (see safe-tree.ts). */
  private readonly tree: SafeTree;

  /** Hold the folder holding `path`, naming `path` in a SYMLINK_IN_PATH error. */
  private parentOf(path: string, forWrite: boolean): HeldFolder {
    assertSafeRelativePath(path);
    try {
      return this.tree.parentOf(path, forWrite);
    } catch (err) {
      if (err instanceof SymlinkInPathError) throw new SymlinkInPathError(this.abs(path), err.link);
      throw err;
    }
  }

  /** Run `fn` with the path of `path` inside its held folder, as system calls take it (fsPath); the folder is released after (and, for a write, rechecked: see HeldFolder). */
  private async within<T>(path: string, forWrite: boolean, fn: (at: PathLike, folder: HeldFolder) => Promise<T>): Promise<T> {
    const folder = this.parentOf(path, forWrite);
    try {
      const result = await fn(fsPath(`${folder.dir}/${splitPath(path)[1]}`), folder);
      if (forWrite) folder.recheck();
      return result;
    } finally {
      folder.release();
    }
  }

  /** Device and inode of the folder when first seen: a different folder there (an unmounted or swapped drive) stops all writes. */
  private rootIdentity: string | undefined;

  private checkRoot(): void {
    const now = identityOf(this.root);
    if (this.rootIdentity === undefined) this.rootIdentity = now;
    else if (now !== this.rootIdentity) {
      throw new ArxError(
        'remote',
        'ROOT_REPLACED',
        `${this.root} ${now === undefined ? 'disappeared' : 'was replaced (unmounted or moved?)'} during the sync; nothing more was changed there`,
      );
    }
  }

  /** A fault of this folder, typed as its side's (see fsErrorToArx). */
  private fault(err: unknown, what: string): ArxError {
    return fsErrorToArx(err, what, this.side);
  }

  describe(): string {
    return `local folder ${this.root}`;
  }

  abs(path: string): string {
    assertSafeRelativePath(path);
    return `${this.root}/${path}`;
  }

  async rootExists(): Promise<boolean> {
    try {
      return (await stat(this.root)).isDirectory();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw this.fault(err, this.root);
    }
  }

  async createRoot(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      this.rootIdentity = identityOf(this.root);
    } catch (err) {
      throw this.fault(err, `creating ${this.root}`);
    }
  }

  async list(filter?: ListFilter, under?: string): Promise<ListResult> {
    if (under !== undefined) assertSafeRelativePath(under);
    return compactToResult(await this.listCompact(filter, under));
  }

  /** The listing in compact form, by find or on another thread: the fast path for large folders. */
  listCompact(filter?: ListFilter, under?: string, known?: KnownBase): Promise<CompactWalk> {
    return walkLocal(this.root, { filter, skipTopLevel: this.hiddenTopLevel, under, known }, false, true);
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    try {
      const st = await this.within(path, false, (at) => this.io.lstat(at));
      if (st.isDirectory()) return { kind: 'dir', size: 0, mtimeMs: st.mtimeMs };
      if (st.isFile()) return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
      throw new ArxError('remote', 'NOT_A_FILE', `${this.abs(path)} is neither a file nor a folder`);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw this.fault(err, this.abs(path));
    }
  }

  async read(path: string): Promise<Readable> {
    const abs = this.abs(path);
    // Opened here, so open errors (missing file, no permission) surface now rather than mid-pipeline.
    const fd = await this.within(path, false, (at) => openFd(at, READ_NOFOLLOW)).catch((err: unknown) => {
      throw this.fault(err, abs);
    });
    // Chunks small enough to die young (a large file's chunks otherwise linger until a full GC).
    return createReadStream(abs, { fd, highWaterMark: 256 * 1024 });
  }

  async readAll(path: string, into?: Buffer): Promise<Buffer> {
    try {
      return await this.within(path, false, (at) => this.io.readWhole(at, into));
    } catch (err) {
      throw this.fault(err, this.abs(path));
    }
  }

  /**
   * The file at `path`, opened without following a link, as a path another
   * reader can open (`/proc/self/fd/N` on Linux: that very file); `close`
   * when done with it.
   */
  async openSource(path: string): Promise<{ localFile: string; close(): void }> {
    try {
      return await this.within(path, false, async (at) => {
        if (!haveProcFd()) return { localFile: this.abs(path), close: () => undefined };
        const fd = openSync(at, READ_NOFOLLOW);
        if (!fstatSync(fd).isFile()) {
          closeSync(fd);
          throw new ArxError('remote', 'NOT_A_FILE', `${this.abs(path)} is neither a file nor a folder`);
        }
        return { localFile: `/proc/self/fd/${fd}`, close: () => closeSync(fd) };
      });
    } catch (err) {
      throw this.fault(err, `reading ${this.abs(path)}`);
    }
  }

  async write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry> {
    this.checkRoot();
    const target = this.abs(path);
    let folder: HeldFolder;
    try {
      folder = this.parentOf(path, true);
    } catch (err) {
      throw this.fault(err, `writing ${target}`);
    }
    try {
      const at = fsPath(`${folder.dir}/${splitPath(path)[1]}`);
      const tmp = fsPath(`${folder.dir}/${tempName(this.writer)}`);
      let st: Stats;
      try {
        if (Buffer.isBuffer(data)) {
          st = await this.io.writeNewFile(tmp, data, opts.mtimeMs);
          await opts.verify?.();
        } else if ('localFile' in data || 'fill' in data) {
          // Copied by the kernel (a clone where the filesystem can) or filled by a download,
          // then read back once to verify: no file data passes through JavaScript buffers.
          if ('localFile' in data) await copyFile(fsPath(data.localFile), tmp, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
          else await data.fill(typeof tmp === 'string' ? tmp : decodePath(tmp));
          await opts.verify?.(await hashLocalFile(tmp, undefined, READ_NOFOLLOW));
          const when = new Date(opts.mtimeMs);
          await lutimes(tmp, when, when);
          st = await lstat(tmp);
        } else {
          await pipeline(data, createWriteStream(tmp, { flags: 'wx' }));
          await opts.verify?.();
          const when = new Date(opts.mtimeMs);
          await lutimes(tmp, when, when);
          st = await lstat(tmp);
        }
        folder.recheck();
        await this.io.rename(tmp, at);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        if (err instanceof ArxError) throw err;
        if (errnoCode(err) === 'EISDIR' || errnoCode(err) === 'ENOTEMPTY') {
          throw new ArxError('remote', 'IS_A_FOLDER', `${target} is a folder; cannot replace it with a file`);
        }
        throw this.fault(err, `writing ${target}`);
      }
      if (!this.identity) return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs };
      // A rename changes the ctime: the project side records the file as it is now.
      const now = await this.io.lstat(at);
      return { kind: 'file', size: now.size, mtimeMs: now.mtimeMs, ctimeMs: now.ctimeMs, ino: now.ino };
    } finally {
      folder.release();
    }
  }

  async mkdir(path: string): Promise<void> {
    this.checkRoot();
    const abs = this.abs(path);
    try {
      await this.within(path, true, async (at) => {
        try {
          await mkdir(at);
        } catch (err) {
          if (errnoCode(err) !== 'EEXIST') throw err;
          const st = await lstat(at);
          if (st.isDirectory()) return;
          if (st.isSymbolicLink()) throw new SymlinkInPathError(abs, abs);
          throw new ArxError('remote', 'NOT_A_FOLDER', `${abs} exists and is not a folder`);
        }
      });
    } catch (err) {
      throw this.fault(err, `creating folder ${abs}`);
    }
  }

  async remove(path: string): Promise<void> {
    this.checkRoot();
    const abs = this.abs(path);
    try {
      await this.within(path, true, async (at) => {
        const st = await lstat(at);
        if (st.isDirectory()) {
          await rmdir(at);
          this.tree.forget(path);
        } else await unlink(at);
      });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new ArxError('remote', 'FOLDER_NOT_EMPTY', `${abs} was not removed: it holds files that are not synced (ignored or excluded)`);
      }
      throw this.fault(err, `removing ${abs}`);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.checkRoot();
    try {
      await this.within(from, true, (src) => this.within(to, true, (dest) => this.io.rename(src, dest)));
      this.tree.forget(from);
      this.tree.forget(to);
    } catch (err) {
      throw this.fault(err, `renaming ${this.abs(from)} to ${this.abs(to)}`);
    }
  }

  /**
   * Put `path` somewhere outside the synced tree (`dest`, an absolute path in
   * arx's own state folder, such as a backup): by a hard link (`keep`: the
   * file stays), by a move, or by a copy where links are not possible.
   */
  async putAside(path: string, dest: string, how: 'link' | 'move' | 'copy'): Promise<void> {
    this.checkRoot();
    await this.within(path, true, async (at) => {
      if (how === 'link') await link(at, fsPath(dest));
      else if (how === 'copy') await copyFile(at, fsPath(dest), fsConstants.COPYFILE_EXCL);
      else {
        await rename(at, fsPath(dest));
        this.tree.forget(path);
      }
    });
  }

  async createExclusive(path: string, data: Buffer): Promise<RemoteEntry | undefined> {
    // Linked into place: a link never replaces a file, and a reader never sees the file without its content.
    return this.viaTemporary(path, data, `creating ${this.abs(path)}`, async (tmp, at) => {
      try {
        await link(tmp, at);
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') return false;
        throw err;
      }
      // The temporary is the second name of the placed file: it goes, the file stays.
      await unlink(tmp).catch(() => undefined);
      return true;
    });
  }

  async replaceStamped(path: string, data: Buffer): Promise<RemoteEntry> {
    const placed = await this.viaTemporary(path, data, `writing ${this.abs(path)}`, async (tmp, at) => {
      await this.io.rename(tmp, at);
      return true;
    });
    return placed!;
  }

  /**
   * `data` written to a new temporary in `path`'s folder, then `place` puts it at `path`;
   * when it does not (false) or fails, the temporary goes.
   */
  private async viaTemporary(path: string, data: Buffer, doing: string, place: (tmp: string, at: PathLike) => Promise<boolean>): Promise<RemoteEntry | undefined> {
    this.checkRoot();
    try {
      return await this.within(path, true, async (at, folder) => {
        const tmp = `${folder.dir}/${tempName(this.writer)}`;
        try {
          writeFileSync(tmp, data, { flag: 'wx' });
          const st = await lstat(tmp);
          folder.recheck();
          if (await place(tmp, at)) return { kind: 'file' as const, size: st.size, mtimeMs: st.mtimeMs };
          await unlink(tmp).catch(() => undefined);
          return undefined;
        } catch (err) {
          await unlink(tmp).catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      throw fsErrorToArx(err, doing);
    }
  }

  async hash(path: string): Promise<string> {
    try {
      return await this.within(path, false, (at) => hashLocalFile(at, undefined, READ_NOFOLLOW));
    } catch (err) {
      throw this.fault(err, `reading ${this.abs(path)}`);
    }
  }

  /** Close the folders held during the sync. */
  async close(): Promise<void> {
    this.tree.close();
  }

  /** Folder descriptors open now (tests). */
  get heldFolders(): number {
    return this.tree.openCount;
  }
}

function identityOf(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Files up to this size are read whole; bigger ones are streamed. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/** sha256 of a local file; `size` (when known) picks whole-file or streamed reading. */
const hashScratch = Buffer.allocUnsafeSlow(SMALL_FILE_BYTES);

/** `flags`: how to open it (READ_NOFOLLOW: never through a link as its last name). */
export async function hashLocalFile(abs: PathLike, size?: number, flags: number | string = 'r'): Promise<string> {
  try {
    // Small files: one synchronous read beats the thread-pool round trips by far.
    // (Synchronous, so one shared buffer serves every call.)
    if ((size ?? statSync(abs).size) <= SMALL_FILE_BYTES) return createHash('sha256').update(readWholeSync(abs, hashScratch, flags)).digest('hex');
    // One buffer, reused for every chunk: a stream would leave a new buffer per chunk for the GC.
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafeSlow(1024 * 1024);
    const fd = await openFd(abs, flags);
    try {
      for (let n = await readFd(fd, buf); n > 0; n = await readFd(fd, buf)) h.update(buf.subarray(0, n));
    } finally {
      await closeFd(fd);
    }
    return h.digest('hex');
  } catch (err) {
    throw fsErrorToArx(err, `reading ${Buffer.isBuffer(abs) ? decodePath(abs) : String(abs)}`);
  }
}
