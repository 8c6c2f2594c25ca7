/**
 * A remote that is written only under the remote lock (see lock.ts). The
 * lock is taken at the first operation (a sync's first is its listing), so
 * it is held from before the listing until release(). Invariants:
 * - no write starts, and no written file is renamed into place (the check
 *   runs in `verify`, just before the rename), unless the lock is held;
 * - a remote folder that does not exist yet is locked right after
 *   createRoot(), before anything is written into it.
 */
import type { Readable } from 'node:stream';
import type { ArxError } from '../errors.js';
import { RemoteLockLostError } from '../errors.js';
import type { CompactWalk } from '../scan/walk.js';
import type { RemoteLock } from './lock.js';
import type { BatchFile, FillSource, KnownBase, ListFilter, ListResult, LocalFileSource, Remote, RemoteEntry, WriteOptions } from './types.js';

type Taken = RemoteLock | 'no-root';

export class LockedRemote implements Remote {
  readonly capabilities;
  private taking: Promise<Taken> | undefined;

  constructor(
    private readonly inner: Remote,
    /** Takes the lock on `inner` (RemoteLock.acquire with this sync's settings). */
    private readonly take: (inner: Remote) => Promise<Taken>,
  ) {
    this.capabilities = inner.capabilities;
    if (inner.prepare) this.prepare = () => inner.prepare!();
    if (inner.download) this.download = async (path, localFile) => (await this.ready(), inner.download!(path, localFile));
    if (inner.listCompact) this.listCompact = async (filter, under, known) => (await this.ready(), inner.listCompact!(filter, under, known));
    if (inner.createMany) this.createMany = async (files, onEach) => (await this.held(), inner.createMany!(files, onEach));
  }

  prepare?: () => void;
  download?: (path: string, localFile: string) => Promise<void>;
  listCompact?: (filter?: ListFilter, under?: string, known?: KnownBase) => Promise<CompactWalk | ListResult>;
  createMany?: (files: readonly BatchFile[], onEach: (file: BatchFile, outcome: RemoteEntry | ArxError) => void) => Promise<boolean>;

  /** The first call takes the lock; the others wait for it (a failure to take it fails them all). */
  private ready(): Promise<Taken> {
    this.taking ??= this.take(this.inner);
    return this.taking;
  }

  /** The lock, held now, for a write. */
  private async held(): Promise<RemoteLock> {
    let lock = await this.ready();
    if (lock === 'no-root') {
      // The folder appeared without our createRoot (another replica made it): lock it now.
      this.taking = this.take(this.inner);
      lock = await this.taking;
      if (lock === 'no-root') throw new RemoteLockLostError('the remote folder does not exist, so it could not be locked');
    }
    lock.assertHeld();
    return lock;
  }

  /** Let go of the lock (after the last write); a lock not yet taken is never taken. */
  async release(): Promise<void> {
    const taking = this.taking;
    this.taking = Promise.reject(new RemoteLockLostError('the remote lock was already released'));
    this.taking.catch(() => undefined);
    const lock = await taking?.catch(() => undefined);
    if (lock !== undefined && lock !== 'no-root') await lock.release();
  }

  describe(): string {
    return this.inner.describe();
  }
  async rootExists(): Promise<boolean> {
    await this.ready();
    return this.inner.rootExists();
  }
  async createRoot(): Promise<void> {
    if ((await this.ready()) === 'no-root') {
      await this.inner.createRoot();
      this.taking = this.take(this.inner);
    }
    await this.held();
  }
  async list(filter?: ListFilter, under?: string): Promise<ListResult> {
    await this.ready();
    return this.inner.list(filter, under);
  }
  async stat(path: string): Promise<RemoteEntry | undefined> {
    await this.ready();
    return this.inner.stat(path);
  }
  async read(path: string): Promise<Readable> {
    await this.ready();
    return this.inner.read(path);
  }
  async readAll(path: string, into?: Buffer): Promise<Buffer> {
    await this.ready();
    return this.inner.readAll(path, into);
  }
  async write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry> {
    const lock = await this.held();
    return this.inner.write(path, data, {
      ...opts,
      verify: async (sha) => {
        await opts.verify?.(sha);
        lock.assertHeld();
      },
    });
  }
  async mkdir(path: string): Promise<void> {
    await this.held();
    return this.inner.mkdir(path);
  }
  async remove(path: string): Promise<void> {
    await this.held();
    return this.inner.remove(path);
  }
  async rename(from: string, to: string): Promise<void> {
    await this.held();
    return this.inner.rename(from, to);
  }
  async hash(path: string): Promise<string> {
    await this.ready();
    return this.inner.hash(path);
  }
  async createExclusive(path: string, data: Buffer): Promise<RemoteEntry | undefined> {
    await this.held();
    return this.inner.createExclusive(path, data);
  }
  async replaceStamped(path: string, data: Buffer): Promise<RemoteEntry> {
    await this.held();
    return this.inner.replaceStamped(path, data);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
