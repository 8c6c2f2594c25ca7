/**
 * A folder on an SFTP server (OpenSSH). One SSH connection per sync with
 * several SFTP channels used in turn; folders are listed in parallel; large
 * files move with pipelined reads and writes (ssh2's fastPut/fastGet).
 * Writes go to a temporary name in the same folder, get their mtime, and are
 * renamed over the target with OpenSSH's posix-rename: a reader on the server
 * never sees a partial file. Times on the server have whole seconds.
 *
 * No folder below the remote folder is written or read through when it is a
 * symbolic link: each folder on a path is lstat-checked before the first
 * operation there and again every RECHECK_FOLDER_MS (see realFolders()), and
 * every batch checks all of its folders just before it is sent (and the
 * server checks each again just before placing a file). SFTP has no way to
 * act relative to a folder handle, so this cannot be made race-free: a folder
 * swapped for a link between a check and the operation (at most that long
 * after a check, or while a batch unpacks) is still followed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper, Stats as SftpStats } from 'ssh2';
import { ArxError, ChangedDuringSyncError, PermissionDeniedError, SymlinkInPathError } from '../../errors.js';
import { compactToResult, type CompactWalk } from '../../scan/walk.js';
import { inLanes } from '../../util/lanes.js';
import { hashLocalFile } from '../local/local-remote.js';
import { fsPath } from '../../util/path-bytes.js';
import { needsBytes, readFolder, wire, withBytePaths } from './byte-paths.js';
import { assertSafeRelativePath } from '../paths.js';
import {
  isTempName,
  tempName,
  type BatchFile,
  type KnownBase,
  type ListFilter,
  type FillSource,
  type ListResult,
  type LocalFileSource,
  type Remote,
  type RemoteEntry,
  type WriteOptions,
} from '../types.js';
import { redactUrl } from '../../util/redact.js';
import { connectSsh, NetworkError, type SshConnection, type SshOptions } from './connect.js';
import { EXISTED, LINKED, manifestOf, PLACED, placementOf, tarOf, unpackCommand } from './batch-upload.js';
import { findCommand, remoteFindParser } from './find-listing.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** A folder's check that it is no symbolic link is trusted this long (ms). */
export const RECHECK_FOLDER_MS = 2000;
/** SFTP status codes (draft-ietf-secsh-filexfer). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
/** OpenSSH's answer to ENAMETOOLONG and EINVAL from the server's file system: a name it cannot store. */
const BAD_MESSAGE = 5;

/** Data that surely fits one SFTP write request. */
const ONE_PACKET = 32 * 1024;
/** Parallel transfer settings for large files. */
const FAST = { concurrency: 32, chunkSize: 32 * 1024 };

function kindOf(mode: number): 'file' | 'dir' | 'other' {
  const t = mode & S_IFMT;
  return t === S_IFDIR ? 'dir' : t === S_IFREG ? 'file' : 'other';
}

export class SftpRemote implements Remote {
  readonly capabilities = { mtimePrecisionMs: 1000, cheapHash: false, atomicCreate: true, pipelining: 4 };
  private conn: SshConnection | undefined;
  private connecting: Promise<SshConnection> | undefined;
  private broken = false;
  /** Rejections of the requests waiting for an answer. */
  private readonly inFlight = new Set<(err: ArxError) => void>();
  private next = 0;
  /** Absolute folder on the server, known once connected. */
  root = '';

  /** false once a listing by `find` on the server failed: SFTP listings from then on. */
  private findListing: boolean;
  /** How the last listing was taken (diagnostics and tests). */
  listedBy: 'find' | 'sftp' | undefined;
  /** false once a batch could not be unpacked on the server: files are written one by one from then on. */
  private batchUploads = true;
  /** Folders below the root found to be real folders (not links): when the check began, and its outcome. */
  private readonly realFolderChecks = new Map<string, { at: number; done: Promise<void> }>();

  constructor(
    private readonly ssh: SshOptions,
    /** remote.path joined with sync.remote_path: absolute, or relative to the login folder. */
    private readonly folder: string,
    private readonly writer: string,
    opts: { findListing?: boolean } = {},
  ) {
    this.findListing = opts.findListing ?? true;
  }

  describe(): string {
    const path = this.root || this.folder;
    return redactUrl(`sftp://${this.ssh.username}@${this.ssh.host}${this.ssh.port === 22 ? '' : `:${this.ssh.port}`}${path.startsWith('/') ? '' : '/~/'}${path}`);
  }

  /** Connect (once; again after a fault) and resolve the folder. */
  async connect(): Promise<SshConnection> {
    if (this.conn && !this.broken) return this.conn;
    this.connecting ??= (async () => {
      this.conn?.client.end();
      this.conn = undefined;
      const conn = await connectSsh(this.ssh);
      const markBroken = (): void => {
        if (this.conn !== conn && this.conn !== undefined) return;
        this.broken = true;
        // ssh2 does not always answer requests (a fastPut, say) whose connection died: fail them here.
        const lost = new NetworkError(`lost the connection to ${this.ssh.host}:${this.ssh.port}`);
        for (const fail of this.inFlight) fail(lost);
        this.inFlight.clear();
      };
      conn.client.on('close', markBroken);
      conn.client.on('error', markBroken);
      if (this.root === '') this.root = this.folder.startsWith('/') ? this.folder : await this.resolveRelative(await conn.first);
      this.conn = conn;
      this.broken = false;
      return conn;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  prepare(): void {
    this.connect().catch(() => undefined);
  }

  /** Drop the connection; the next call connects again. */
  async reconnect(): Promise<void> {
    this.broken = true;
    await this.connect();
  }

  private async resolveRelative(sftp: SFTPWrapper): Promise<string> {
    const home = await new Promise<string>((resolve, reject) => sftp.realpath('.', (err, p) => (err ? reject(err) : resolve(p))));
    return `${home.replace(/\/$/, '')}/${this.folder}`;
  }

  abs(path: string): string {
    assertSafeRelativePath(path);
    return `${this.root === '/' ? '' : this.root}/${path}`;
  }

  /**
   * Every folder on the way to `path` (below the root) is a real folder, not
   * a symbolic link: else SYMLINK_IN_PATH naming it. A missing folder passes
   * (the operation itself then fails). `fresh`: check now, whatever was seen.
   */
  private async realFolders(path: string, fresh = false): Promise<void> {
    const checks: Promise<void>[] = [];
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) checks.push(this.realFolder(path.slice(0, at), fresh));
    if (checks.length === 0) return;
    try {
      await Promise.all(checks);
    } catch (err) {
      if (err instanceof SymlinkInPathError) throw new SymlinkInPathError(this.abs(path), err.link);
      throw err;
    }
  }

  private realFolder(rel: string, fresh: boolean): Promise<void> {
    const now = Date.now();
    const seen = this.realFolderChecks.get(rel);
    if (!fresh && seen !== undefined && now - seen.at < RECHECK_FOLDER_MS) return seen.done;
    const done = (async () => {
      const st = await this.lstatAbs(this.abs(rel));
      if (st !== undefined && (st.mode & S_IFMT) === S_IFLNK) throw new SymlinkInPathError(this.abs(rel), this.abs(rel));
      if (st === undefined || kindOf(st.mode) !== 'dir') this.realFolderChecks.delete(rel);
    })();
    this.realFolderChecks.set(rel, { at: now, done });
    done.catch(() => this.realFolderChecks.delete(rel));
    return done;
  }

  /** The next channel, in turn (file handles belong to the channel that opened them); the others start opening now. */
  private async channel(): Promise<SFTPWrapper> {
    const conn = await this.connect();
    await this.firstChannel(conn);
    conn.widen();
    return conn.channels[this.next++ % conn.channels.length]!;
  }

  /** The first channel alone: enough for a sync that finds nothing to move. */
  private async firstChannel(conn: SshConnection): Promise<SFTPWrapper> {
    try {
      return await conn.first;
    } catch (err) {
      if (this.conn === conn) this.broken = true;
      throw err;
    }
  }

  /** Run one SFTP request (on `on`, or the next channel), mapping its error. */
  private async call<T>(what: string, fn: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, value?: T) => void) => void, on?: SFTPWrapper): Promise<T> {
    const sftp = on ?? (await this.channel());
    return new Promise<T>((resolve, reject) => {
      const fail = (err: ArxError): void => reject(err);
      this.inFlight.add(fail);
      try {
        const send = () =>
          fn(sftp, (err, value) => {
            this.inFlight.delete(fail);
            if (err) reject(this.mapError(err, what));
            else resolve(value as T);
          });
        // `what` names the request's paths: one that is not UTF-8 goes out as its bytes (see byte-paths.ts).
        if (needsBytes(what)) withBytePaths(send);
        else send();
      } catch (err) {
        this.inFlight.delete(fail);
        reject(this.mapError(err, what));
      }
    });
  }

  private mapError(err: unknown, what: string): ArxError {
    if (err instanceof ArxError) return err;
    const e = err as Error & { code?: number | string };
    if (e.code === NO_SUCH_FILE) return new ArxError('remote', 'NOT_FOUND', `not found on ${this.ssh.host}: ${what}`);
    if (e.code === PERMISSION_DENIED) return new PermissionDeniedError(`permission denied on ${this.ssh.host}: ${what}`);
    if (e.code === BAD_MESSAGE) return new ArxError('remote', 'NAME_NOT_STORABLE', `${what} on ${this.ssh.host}: the server refused the name (too long, or not valid on its file system)`, { cause: err });
    if (this.broken || /No response from server|Not connected|not open|ECONNRESET|EPIPE|socket/i.test(e.message ?? '')) {
      this.broken = true;
      return new NetworkError(`lost the connection to ${this.ssh.host}:${this.ssh.port} (${what})`, err);
    }
    return new ArxError('remote', 'SFTP_FAILURE', `${what} on ${this.ssh.host}: ${e.message}`, { cause: err });
  }

  async rootExists(): Promise<boolean> {
    const first = await this.firstChannel(await this.connect());
    const st = await this.lstatAbs(this.root, first);
    return st !== undefined && kindOf(st.mode) === 'dir';
  }

  async createRoot(): Promise<void> {
    await this.connect();
    const parts = this.root.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) await this.mkdirAbs(`/${parts.slice(0, i).join('/')}`);
  }

  private async lstatAbs(abs: string, on?: SFTPWrapper): Promise<SftpStats | undefined> {
    try {
      return await this.call<SftpStats>(`reading ${abs}`, (s, cb) => s.lstat(wire(abs), cb), on);
    } catch (err) {
      if (err instanceof ArxError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  private async mkdirAbs(abs: string): Promise<void> {
    try {
      await this.call<void>(`creating folder ${abs}`, (s, cb) => s.mkdir(wire(abs), cb));
    } catch (err) {
      const st = await this.lstatAbs(abs);
      if (st !== undefined && kindOf(st.mode) === 'dir') return;
      if (st !== undefined && (st.mode & S_IFMT) === S_IFLNK) throw new SymlinkInPathError(abs, abs);
      if (st !== undefined) throw new ArxError('remote', 'NOT_A_FOLDER', `${abs} exists on ${this.ssh.host} and is not a folder`);
      throw err;
    }
  }

  async list(filter?: ListFilter, under?: string): Promise<ListResult> {
    const listed = await this.listCompact(filter, under);
    return 'paths' in listed ? compactToResult(listed) : listed;
  }

  /** By one `find` on the server where that works, else over SFTP. */
  async listCompact(filter?: ListFilter, under?: string, known?: KnownBase): Promise<CompactWalk | ListResult> {
    const conn = await this.connect();
    if (under !== undefined) assertSafeRelativePath(under);
    // (A command is a string: a folder that is not UTF-8 is listed over SFTP.)
    if (this.findListing && (under === undefined || !needsBytes(under))) {
      const listed = await this.listByFind(conn, filter, under, known);
      if (listed !== undefined) {
        this.listedBy = 'find';
        return listed;
      }
      this.findListing = false;
    }
    this.listedBy = 'sftp';
    return this.listBySftp(filter, under);
  }

  /** The listing from one `find` on the server (see find-listing.ts); undefined when that did not work. */
  private async listByFind(conn: SshConnection, filter: ListFilter | undefined, under: string | undefined, known: KnownBase | undefined): Promise<CompactWalk | undefined> {
    const parser = remoteFindParser(filter, under ?? '', known);
    const command = findCommand(under === undefined ? this.root : this.abs(under));
    // Nothing to read on its input: a forced SFTP server in its place ends at once.
    const ran = await this.runCommand(conn, command, undefined, (chunk) => parser.feed(chunk));
    return ran ? parser.finish() : undefined;
  }

  /**
   * Run a shell command on the server, feeding it `input` (or nothing), its
   * output to `onOutput`. false when the server runs no commands (an
   * SFTP-only account refuses the channel); a connection lost meanwhile rejects.
   */
  private runCommand(conn: SshConnection, command: string, input: Buffer | undefined, onOutput: (chunk: Buffer) => void): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const fail = (err: ArxError): void => reject(err);
      this.inFlight.add(fail);
      const done = (ran: boolean): void => {
        this.inFlight.delete(fail);
        resolve(ran);
      };
      try {
        conn.client.exec(command, (err, stream) => {
          if (err) return done(false);
          stream.on('data', onOutput);
          stream.stderr.resume();
          stream.on('error', () => undefined);
          stream.on('close', () => done(true));
          stream.end(input);
        });
      } catch {
        done(false);
      }
    });
  }

  /**
   * Create many new small files at once (see batch-upload.ts). Each file's
   * outcome goes to `onEach` as it is known: its entry, or an error (one that
   * appeared meanwhile is CHANGED_DURING_SYNC). false: this server cannot
   * unpack batches, nothing was placed, and the caller writes the files one by one.
   */
  async createMany(files: readonly BatchFile[], onEach: (file: BatchFile, outcome: RemoteEntry | ArxError) => void): Promise<boolean> {
    const conn = await this.connect();
    if (!this.batchUploads) return false;
    for (const f of files) assertSafeRelativePath(f.path);
    // A tar header and the placing program take names as text: a path that is not UTF-8 is written on its own.
    if (files.some((f) => needsBytes(f.path))) {
      await inLanes(
        files.filter((f) => needsBytes(f.path)),
        4,
        async (f) => onEach(f, await this.write(f.path, f.data, { mtimeMs: f.mtimeMs, expectAbsent: true }).catch((err: unknown) => {
          if (err instanceof ArxError && err.category === 'network') throw err;
          return err instanceof ArxError ? err : this.mapError(err, `writing ${this.abs(f.path)}`);
        })),
      );
      files = files.filter((f) => !needsBytes(f.path));
      if (files.length === 0) return true;
    }
    // Every folder of the batch is checked now: a file below a link is not sent at all.
    const folders = new Set<string>();
    for (const f of files) for (let at = f.path.indexOf('/'); at > 0; at = f.path.indexOf('/', at + 1)) folders.add(f.path.slice(0, at));
    const links = new Map<string, string>();
    await inLanes([...folders], 32, async (rel) => {
      await this.realFolder(rel, true).catch((err: unknown) => {
        if (!(err instanceof SymlinkInPathError)) throw err;
        links.set(rel, this.abs(rel));
      });
    });
    if (links.size > 0) {
      const linkOf = (path: string): string | undefined => {
        for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) if (links.has(path.slice(0, at))) return links.get(path.slice(0, at));
        return undefined;
      };
      const sent: BatchFile[] = [];
      for (const f of files) {
        const link = linkOf(f.path);
        if (link === undefined) sent.push(f);
        else onEach(f, new SymlinkInPathError(this.abs(f.path), link));
      }
      if (sent.length === 0) return true;
      files = sent;
    }
    // Each file's temporary sits in its own folder: the link that places it stays inside that folder.
    const temps = files.map((f) => `${f.path.slice(0, f.path.lastIndexOf('/') + 1)}${tempName(this.writer)}`);
    const manifest = tempName(this.writer);
    const archive = await tarOf([
      ...files.map((f, i) => ({ name: temps[i]!, data: f.data, mtimeMs: f.mtimeMs })),
      { name: manifest, data: manifestOf(files.map((f, i) => ({ temp: temps[i]!, path: f.path }))), mtimeMs: Date.now() },
    ]);
    let output = '';
    const ran = await this.runCommand(conn, unpackCommand(this.root, manifest), archive, (chunk) => {
      output += chunk.toString('latin1');
    });
    const { unpacked, letters } = placementOf(output);
    if (!unpacked) {
      this.batchUploads = false;
      // tar may have unpacked part of the archive before it failed.
      if (ran) await inLanes([...temps, manifest], 32, (t) => this.unlinkQuietly(this.abs(t)));
      return false;
    }
    // perl did not run to the end (or at all): its manifest is still there.
    if (letters.length < files.length) await this.unlinkQuietly(this.abs(manifest));
    const entryOf = (f: BatchFile): RemoteEntry => ({ kind: 'file', size: f.data.length, mtimeMs: Math.floor(f.mtimeMs / 1000) * 1000 });
    const unplaced: number[] = [];
    const existed: BatchFile[] = [];
    files.forEach((f, i) => {
      if (letters[i] === PLACED) onEach(f, entryOf(f));
      else if (letters[i] === EXISTED) existed.push(f);
      else if (letters[i] === LINKED) onEach(f, new SymlinkInPathError(this.abs(f.path)));
      else unplaced.push(i);
    });
    // A file there already with the same content and time is as good as placed (a batch cut off
    // before it reported, say); anything else appeared meanwhile and is left alone.
    await inLanes(existed, 32, async (f) => onEach(f, (await this.holdsContent(f)) ? entryOf(f) : new ChangedDuringSyncError(this.abs(f.path))));
    // What the server could not link: a create-only SFTP rename each.
    await inLanes(unplaced, 32, async (i) => {
      const f = files[i]!;
      try {
        await this.createAbs(this.abs(temps[i]!), this.abs(f.path));
        onEach(f, entryOf(f));
      } catch (err) {
        if (err instanceof ArxError && err.category === 'network') throw err;
        await this.unlinkQuietly(this.abs(temps[i]!));
        // perl may have placed it and been stopped before it said so: the same content is no conflict.
        if (err instanceof ArxError && err.code === 'CHANGED_DURING_SYNC' && (await this.holdsContent(f))) onEach(f, entryOf(f));
        else onEach(f, err instanceof ArxError ? err : this.mapError(err, `placing ${this.abs(f.path)}`));
      }
    });
    return true;
  }

  /** Does the server hold exactly this file (content and whole-second time)? */
  private async holdsContent(f: BatchFile): Promise<boolean> {
    const st = await this.lstatAbs(this.abs(f.path));
    if (st === undefined || kindOf(st.mode) !== 'file' || st.size !== f.data.length || st.mtime !== Math.floor(f.mtimeMs / 1000)) return false;
    return (await this.readAll(f.path)).equals(f.data);
  }

  /** Remove a file if it is there; only a lost connection is an error. */
  private async unlinkQuietly(abs: string): Promise<void> {
    await this.call<void>(`removing ${abs}`, (s, cb) => s.unlink(wire(abs), cb)).catch((err: unknown) => {
      if (err instanceof ArxError && err.category === 'network') throw err;
    });
  }

  /** Breadth-first, a READDIR per folder, several folders at a time (spread over the channels). */
  private async listBySftp(filter: ListFilter | undefined, under: string | undefined): Promise<ListResult> {
    const result: ListResult = { entries: new Map(), unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] };
    const max = filter?.maxFileSize;
    const start = under ?? '';
    let level = [start];
    while (level.length > 0) {
      const nextLevel: string[] = [];
      await inLanes(level, 16, async (rel) => {
        const abs = rel === '' ? this.root : this.abs(rel);
        let list: { filename: string; attrs: SftpStats }[];
        try {
          list = await this.call(`listing ${abs}`, (s, cb) => readFolder(s, abs, cb));
        } catch (err) {
          if (err instanceof ArxError && err.code === 'NOT_FOUND' && rel === start) return;
          if (err instanceof ArxError && err.category === 'network') throw err;
          result.unreadable.push(rel);
          return;
        }
        for (const { filename: name, attrs } of list) {
          if (name === '.' || name === '..') continue;
          const path = rel === '' ? name : `${rel}/${name}`;
          // (A name that is not UTF-8 comes as its surrogate escapes, see byte-names.ts.)
          const kind = kindOf(attrs.mode);
          if (isTempName(name)) result.temporaries.push(path);
          else if (kind === 'dir') {
            if (filter?.excludeDir(path)) continue;
            result.entries.set(path, { kind: 'dir', size: 0, mtimeMs: 0 });
            nextLevel.push(path);
          } else if (filter?.excludeFile(path)) continue;
          else if (kind === 'other') ((attrs.mode & S_IFMT) === S_IFLNK ? result.links : result.special).push(path);
          else if (max !== undefined && attrs.size > max) result.tooLarge.push(path);
          else result.entries.set(path, { kind: 'file', size: attrs.size, mtimeMs: attrs.mtime * 1000 });
        }
      });
      level = nextLevel;
    }
    return result;
  }

  async stat(path: string): Promise<RemoteEntry | undefined> {
    const st = await this.lstatAbs(this.abs(path));
    if (st === undefined) return undefined;
    const kind = kindOf(st.mode);
    if (kind === 'other') throw new ArxError('remote', 'NOT_A_FILE', `${this.abs(path)} on ${this.ssh.host} is neither a file nor a folder`);
    return kind === 'dir' ? { kind: 'dir', size: 0, mtimeMs: st.mtime * 1000 } : { kind: 'file', size: st.size, mtimeMs: st.mtime * 1000 };
  }

  async read(path: string): Promise<Readable> {
    const abs = this.abs(path);
    await this.realFolders(path);
    const st = await this.stat(path);
    if (st === undefined) throw new ArxError('remote', 'NOT_FOUND', `not found on ${this.ssh.host}: ${abs}`);
    const sftp = await this.channel();
    // (The stream opens its file as it is made.)
    const stream = needsBytes(abs) ? withBytePaths(() => sftp.createReadStream(wire(abs), { highWaterMark: 64 * 1024 })) : sftp.createReadStream(abs, { highWaterMark: 64 * 1024 });
    // ssh2 closes the handle after 'end' and emits a failed close as an error on a stream its
    // reader has already finished with. Readers attach their own listeners (pipeline, for await)
    // and still see every error; this one only keeps a late close failure from crashing the process.
    stream.on('error', () => undefined);
    return stream;
  }

  async readAll(path: string): Promise<Buffer> {
    const abs = this.abs(path);
    await this.realFolders(path);
    return this.call<Buffer>(`reading ${abs}`, (s, cb) => s.readFile(wire(abs), cb));
  }

  /** Download with pipelined reads straight into a local file. */
  async download(path: string, localFile: string): Promise<void> {
    const abs = this.abs(path);
    await this.realFolders(path);
    await this.call<void>(`downloading ${abs}`, (s, cb) => s.fastGet(wire(abs), localFile, FAST, cb));
  }

  async write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry> {
    const target = this.abs(path);
    const tmp = `${target.slice(0, target.lastIndexOf('/'))}/${tempName(this.writer)}`;
    await this.realFolders(path);
    let size: number;
    try {
      const when = Math.floor(opts.mtimeMs / 1000);
      if (Buffer.isBuffer(data)) {
        await this.writeSmall(tmp, data, when);
        size = data.length;
        await opts.verify?.();
      } else if ('fill' in data) {
        throw new ArxError('internal', 'UNSUPPORTED', 'an SFTP remote cannot be filled from a download');
      } else if ('localFile' in data && !needsBytes(tmp)) {
        await this.call<void>(`uploading to ${tmp}`, (s, cb) => s.fastPut(fsPath(data.localFile) as string, tmp, FAST, cb));
        size = statSync(fsPath(data.localFile)).size;
        await opts.verify?.(await hashLocalFile(fsPath(data.localFile)));
      } else {
        // (Also a local file to a path that is not UTF-8: fastPut opens its target from a callback, see byte-paths.ts.)
        const source = 'localFile' in data ? createReadStream(fsPath(data.localFile)) : data;
        const sftp = await this.channel();
        const h = createHash('sha256');
        let n = 0;
        source.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        const sink = needsBytes(tmp) ? withBytePaths(() => sftp.createWriteStream(wire(tmp), { flags: 'wx' })) : sftp.createWriteStream(tmp, { flags: 'wx' });
        await pipeline(source, sink);
        size = n;
        await opts.verify?.(h.digest('hex'));
      }
      if (!Buffer.isBuffer(data)) await this.call<void>(`setting the time of ${tmp}`, (s, cb) => s.utimes(wire(tmp), when, when, cb));
      if (opts.expectAbsent) await this.createAbs(tmp, target);
      else await this.renameAbs(tmp, target);
    } catch (err) {
      await this.unlinkQuietly(tmp).catch(() => undefined);
      if (err instanceof ArxError) throw err;
      throw this.mapError(err, `writing ${target}`);
    }
    return { kind: 'file', size, mtimeMs: Math.floor(opts.mtimeMs / 1000) * 1000 };
  }

  /**
   * Write a new file. Data that fits one SFTP packet goes out with the time and the close in
   * one round trip after the open (a channel answers in order); bigger data is written first.
   */
  private async writeSmall(abs: string, data: Buffer, mtimeSec: number): Promise<void> {
    const sftp = await this.channel();
    const handle = await this.call<Buffer>(`creating ${abs}`, (s, cb) => s.open(wire(abs), 'wx', cb), sftp);
    const write = (): Promise<void> => this.call<void>(`writing ${abs}`, (s, cb) => s.write(handle, data, 0, data.length, 0, cb), sftp);
    const time = (): Promise<void> => this.call<void>(`setting the time of ${abs}`, (s, cb) => s.futimes(handle, mtimeSec, mtimeSec, cb), sftp);
    const close = (): Promise<void> => this.call<void>(`closing ${abs}`, (s, cb) => s.close(handle, cb), sftp);
    if (data.length <= ONE_PACKET) {
      const results = await Promise.allSettled([data.length > 0 ? write() : Promise.resolve(), time(), close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return;
    }
    try {
      await write();
      await time();
    } finally {
      await close();
    }
  }

  /** Plain SFTP rename refuses an existing target: a create that cannot replace anything. */
  private async createAbs(from: string, to: string): Promise<void> {
    try {
      await this.call<void>(`renaming ${from} to ${to}`, (s, cb) => s.rename(wire(from), wire(to), cb));
    } catch (err) {
      if (err instanceof ArxError && err.category === 'network') throw err;
      if ((await this.lstatAbs(to)) !== undefined) throw new ArxError('remote', 'CHANGED_DURING_SYNC', `${to} appeared on ${this.ssh.host} while it was being synced; it will be synced next time`);
      throw err;
    }
  }

  private async renameAbs(from: string, to: string): Promise<void> {
    // posix-rename replaces the target atomically; plain SFTP rename refuses an existing target.
    await this.call<void>(`renaming ${from} to ${to}`, (s, cb) => s.ext_openssh_rename(wire(from), wire(to), cb));
  }

  async mkdir(path: string): Promise<void> {
    await this.realFolders(path);
    await this.mkdirAbs(this.abs(path));
  }

  async remove(path: string): Promise<void> {
    const abs = this.abs(path);
    await this.realFolders(path);
    const st = await this.lstatAbs(abs);
    if (st === undefined) return;
    if (kindOf(st.mode) === 'dir') {
      try {
        await this.call<void>(`removing folder ${abs}`, (s, cb) => s.rmdir(wire(abs), cb));
      } catch (err) {
        if (err instanceof ArxError && err.category === 'network') throw err;
        const left = await this.call<unknown[]>(`listing ${abs}`, (s, cb) => readFolder(s, abs, cb)).catch(() => []);
        if (left.length > 0) throw new ArxError('remote', 'FOLDER_NOT_EMPTY', `${abs} on ${this.ssh.host} was not removed: it holds files that are not synced (ignored or excluded)`);
        throw err;
      }
    } else {
      await this.call<void>(`removing ${abs}`, (s, cb) => s.unlink(wire(abs), cb)).catch((err: ArxError) => {
        if (err.code !== 'NOT_FOUND') throw err;
      });
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.all([this.realFolders(from), this.realFolders(to)]);
    await this.renameAbs(this.abs(from), this.abs(to));
  }

  async createExclusive(path: string, data: Buffer): Promise<RemoteEntry | undefined> {
    const abs = this.abs(path);
    return this.viaTemporary(path, data, async (sftp, tmp) => {
      // Plain SFTP rename refuses an existing target: a create that never replaces, content in place at once.
      try {
        await this.call<void>(`renaming ${tmp} to ${abs}`, (s, cb) => s.rename(tmp, abs, cb), sftp);
        return true;
      } catch (err) {
        // OpenSSH answers a plain Failure for an existing target; the holder may have released it
        // since, so a Failure counts as a lost race too (the caller looks again), as does a target seen now.
        if (err instanceof ArxError && err.category !== 'network' && (err.code === 'SFTP_FAILURE' || (await this.lstatAbs(abs)) !== undefined)) return false;
        throw err;
      }
    });
  }

  async replaceStamped(path: string, data: Buffer): Promise<RemoteEntry> {
    const abs = this.abs(path);
    const placed = await this.viaTemporary(path, data, async (_sftp, tmp) => {
      await this.renameAbs(tmp, abs);
      return true;
    });
    return placed!;
  }

  /**
   * `data` written to a new temporary beside `path` (its size and time read back from the
   * server), then `place` moves it there; when it does not (false) or fails, the temporary goes.
   */
  private async viaTemporary(path: string, data: Buffer, place: (sftp: SFTPWrapper, tmp: string) => Promise<boolean>): Promise<RemoteEntry | undefined> {
    const abs = this.abs(path);
    const tmp = `${abs.slice(0, abs.lastIndexOf('/'))}/${tempName(this.writer)}`;
    await this.realFolders(path);
    const sftp = await this.channel();
    try {
      const handle = await this.call<Buffer>(`creating ${tmp}`, (s, cb) => s.open(tmp, 'wx', cb), sftp);
      const st = await this.writeHandle(sftp, tmp, handle, data);
      if (await place(sftp, tmp)) return { kind: 'file', ...st };
      await this.unlinkQuietly(tmp).catch(() => undefined);
      return undefined;
    } catch (err) {
      await this.unlinkQuietly(tmp).catch(() => undefined);
      throw err;
    }
  }

  /** Write `data` to an open handle, read back its size and time (the server's clock), close it. */
  private async writeHandle(sftp: SFTPWrapper, abs: string, handle: Buffer, data: Buffer): Promise<{ size: number; mtimeMs: number }> {
    try {
      if (data.length > 0) await this.call<void>(`writing ${abs}`, (s, cb) => s.write(handle, data, 0, data.length, 0, cb), sftp);
      const st = await this.call<SftpStats>(`reading ${abs}`, (s, cb) => s.fstat(handle, cb), sftp);
      return { size: st.size, mtimeMs: st.mtime * 1000 };
    } finally {
      await this.call<void>(`closing ${abs}`, (s, cb) => s.close(handle, cb), sftp);
    }
  }

  async hash(path: string): Promise<string> {
    const h = createHash('sha256');
    for await (const chunk of await this.read(path)) h.update(chunk as Buffer);
    return h.digest('hex');
  }

  async close(): Promise<void> {
    this.conn?.client.end();
    this.conn = undefined;
  }
}
