/**
 * A folder on a local or mounted disk. Also serves as the project side of a
 * sync, so both ends share one implementation of atomic writes.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream, createWriteStream, statSync, type Stats } from 'node:fs';
import { copyFile, mkdir, rm, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { asyncIo, closeFd, lstat, openFd, readFd, readWholeSync, syncIo, type WholeFileIo } from './fd-io.js';
import { isNetworkFolder } from './fs-kind.js';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArxError, errnoCode, fsErrorToArx } from '../../errors.js';
import { walkLocal } from '../../scan/find-walk.js';
import { compactToResult, type CompactWalk } from '../../scan/walk.js';
import { assertSafeRelativePath } from '../paths.js';
import { tempName, type FillSource, type KnownBase, type LocalFileSource, type ListFilter, type ListResult, type Remote, type RemoteEntry, type WriteOptions } from '../types.js';

export class LocalFolderRemote implements Remote {
  readonly capabilities = { mtimePrecisionMs: 1, cheapHash: true };

  private readonly writer: string;
  private readonly hiddenTopLevel: ReadonlySet<string>;
  private readonly identity: boolean;
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
    } = {},
  ) {
    this.writer = opts.writer ?? 'anon';
    this.hiddenTopLevel = opts.hiddenTopLevel ?? new Set();
    this.identity = opts.identity ?? false;
    this.io = isNetworkFolder(root) ? asyncIo : syncIo;
    this.rootIdentity = identityOf(root);
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
      throw fsErrorToArx(err, this.root);
    }
  }

  async createRoot(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      this.rootIdentity = identityOf(this.root);
    } catch (err) {
      throw fsErrorToArx(err, `creating ${this.root}`);
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
      const st = await this.io.lstat(this.abs(path));
      if (st.isDirectory()) return { kind: 'dir', size: 0, mtimeMs: st.mtimeMs };
      if (st.isFile()) return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
      throw new ArxError('remote', 'NOT_A_FILE', `${this.abs(path)} is neither a file nor a folder`);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw fsErrorToArx(err, this.abs(path));
    }
  }

  async read(path: string): Promise<Readable> {
    const abs = this.abs(path);
    // Chunks small enough to die young (a large file's chunks otherwise linger until a full GC).
    const stream = createReadStream(abs, { highWaterMark: 256 * 1024 });
    // Surface open errors (missing file, no permission) here rather than mid-pipeline.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(fsErrorToArx(err, abs)));
    });
    return stream;
  }

  async readAll(path: string, into?: Buffer): Promise<Buffer> {
    try {
      return await this.io.readWhole(this.abs(path), into);
    } catch (err) {
      throw fsErrorToArx(err, this.abs(path));
    }
  }

  async write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry> {
    this.checkRoot();
    const target = this.abs(path);
    const tmp = `${dirname(target)}/${tempName(this.writer)}`;
    let st: Stats;
    try {
      if (Buffer.isBuffer(data)) {
        st = await this.io.writeNewFile(tmp, data, opts.mtimeMs);
        await opts.verify?.();
      } else if ('localFile' in data || 'fill' in data) {
        // Copied by the kernel (a clone where the filesystem can) or filled by a download,
        // then read back once to verify: no file data passes through JavaScript buffers.
        if ('localFile' in data) await copyFile(data.localFile, tmp, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
        else await data.fill(tmp);
        await opts.verify?.(await hashLocalFile(tmp));
        const when = new Date(opts.mtimeMs);
        await utimes(tmp, when, when);
        st = await lstat(tmp);
      } else {
        await pipeline(data, createWriteStream(tmp, { flags: 'wx' }));
        await opts.verify?.();
        const when = new Date(opts.mtimeMs);
        await utimes(tmp, when, when);
        st = await lstat(tmp);
      }
      await this.io.rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (err instanceof ArxError) throw err;
      if (errnoCode(err) === 'EISDIR' || errnoCode(err) === 'ENOTEMPTY') {
        throw new ArxError('remote', 'IS_A_FOLDER', `${target} is a folder; cannot replace it with a file`);
      }
      throw fsErrorToArx(err, `writing ${target}`);
    }
    if (!this.identity) return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs };
    // A rename changes the ctime: the project side records the file as it is now.
    const now = await this.io.lstat(target);
    return { kind: 'file', size: now.size, mtimeMs: now.mtimeMs, ctimeMs: now.ctimeMs, ino: now.ino };
  }

  async mkdir(path: string): Promise<void> {
    this.checkRoot();
    const abs = this.abs(path);
    try {
      await mkdir(abs);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        if ((await lstat(abs)).isDirectory()) return;
        throw new ArxError('remote', 'NOT_A_FOLDER', `${abs} exists and is not a folder`);
      }
      throw fsErrorToArx(err, `creating folder ${abs}`);
    }
  }

  async remove(path: string): Promise<void> {
    this.checkRoot();
    const abs = this.abs(path);
    try {
      const st = await lstat(abs);
      if (st.isDirectory()) await rmdir(abs);
      else await unlink(abs);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new ArxError('remote', 'FOLDER_NOT_EMPTY', `${abs} was not removed: it holds files that are not synced (ignored or excluded)`);
      }
      throw fsErrorToArx(err, `removing ${abs}`);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.checkRoot();
    try {
      await this.io.rename(this.abs(from), this.abs(to));
    } catch (err) {
      throw fsErrorToArx(err, `renaming ${this.abs(from)} to ${this.abs(to)}`);
    }
  }

  async hash(path: string): Promise<string> {
    return hashLocalFile(this.abs(path));
  }

  async close(): Promise<void> {}
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

export async function hashLocalFile(abs: string, size?: number): Promise<string> {
  try {
    // Small files: one synchronous read beats the thread-pool round trips by far.
    // (Synchronous, so one shared buffer serves every call.)
    if ((size ?? statSync(abs).size) <= SMALL_FILE_BYTES) return createHash('sha256').update(readWholeSync(abs, hashScratch)).digest('hex');
    // One buffer, reused for every chunk: a stream would leave a new buffer per chunk for the GC.
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafeSlow(1024 * 1024);
    const fd = await openFd(abs, 'r');
    try {
      for (let n = await readFd(fd, buf); n > 0; n = await readFd(fd, buf)) h.update(buf.subarray(0, n));
    } finally {
      await closeFd(fd);
    }
    return h.digest('hex');
  } catch (err) {
    throw fsErrorToArx(err, `reading ${abs}`);
  }
}
