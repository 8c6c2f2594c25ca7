/**
 * Retry a remote's operations through network faults: reconnect, then try
 * again after an exponentially growing, jittered pause (`remote.retries`,
 * `remote.retry_base_ms`, at most RETRY_CAP_MS). A write fed by a stream
 * cannot be replayed and is not retried. When the retries run out the last
 * network error goes up, and the sync ends.
 */
import type { Readable } from 'node:stream';
import { ArxError } from '../errors.js';
import type { CompactWalk } from '../scan/walk.js';
import type { BatchFile, FillSource, KnownBase, ListFilter, ListResult, LocalFileSource, Remote, RemoteEntry, WriteOptions } from './types.js';

export const RETRY_CAP_MS = 30_000;

export interface RetryPolicy {
  retries: number;
  baseMs: number;
}

export interface Reconnectable extends Remote {
  reconnect(): Promise<void>;
}

export function backoffMs(attempt: number, baseMs: number, random: number): number {
  const ceiling = Math.min(RETRY_CAP_MS, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

export class RetryingRemote implements Remote {
  readonly capabilities;

  constructor(
    private readonly inner: Reconnectable,
    private readonly policy: RetryPolicy,
    private readonly onRetry: (message: string) => void = () => undefined,
  ) {
    this.capabilities = inner.capabilities;
    if (inner.download) this.download = (path, localFile) => this.retry(`downloading ${path}`, () => inner.download!(path, localFile));
    if (inner.prepare) this.prepare = () => inner.prepare!();
    if (inner.listCompact) this.listCompact = (filter, under, known) => this.retry('listing', () => inner.listCompact!(filter, under, known));
    // Not retried: a batch cut off half placed cannot be replayed. The caller writes its
    // unfinished files one by one instead, and those writes are retried.
    if (inner.createMany) this.createMany = (files, onEach) => inner.createMany!(files, onEach);
  }

  prepare?: () => void;
  download?: (path: string, localFile: string) => Promise<void>;
  listCompact?: (filter?: ListFilter, under?: string, known?: KnownBase) => Promise<CompactWalk | ListResult>;
  createMany?: (files: readonly BatchFile[], onEach: (file: BatchFile, outcome: RemoteEntry | ArxError) => void) => Promise<boolean>;

  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ArxError && err.retryable)) throw err;
        if (attempt >= this.policy.retries) {
          throw new ArxError('network', err.code, `${err.message}; gave up after ${this.policy.retries} retries`, { cause: err });
        }
        const wait = backoffMs(attempt, this.policy.baseMs, Math.random());
        this.onRetry(`${err.message}; retry ${attempt + 1} of ${this.policy.retries} in ${(wait / 1000).toFixed(1)} s (${what})`);
        await new Promise((r) => setTimeout(r, wait));
        // A failed reconnect is just another failed attempt.
        await this.inner.reconnect().catch(() => undefined);
      }
    }
  }

  describe(): string {
    return this.inner.describe();
  }
  rootExists(): Promise<boolean> {
    return this.retry('checking the remote folder', () => this.inner.rootExists());
  }
  createRoot(): Promise<void> {
    return this.retry('creating the remote folder', () => this.inner.createRoot());
  }
  list(filter?: ListFilter, under?: string): Promise<ListResult> {
    return this.retry('listing', () => this.inner.list(filter, under));
  }
  stat(path: string): Promise<RemoteEntry | undefined> {
    return this.retry(`reading ${path}`, () => this.inner.stat(path));
  }
  read(path: string): Promise<Readable> {
    return this.retry(`opening ${path}`, () => this.inner.read(path));
  }
  readAll(path: string, into?: Buffer): Promise<Buffer> {
    return this.retry(`reading ${path}`, () => this.inner.readAll(path, into));
  }
  write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry> {
    // A stream is consumed by the first attempt: only buffers, files and fills can be written again.
    if (!Buffer.isBuffer(data) && !('localFile' in data) && !('fill' in data)) return this.inner.write(path, data, opts);
    return this.retry(`writing ${path}`, () => this.inner.write(path, data, opts));
  }
  mkdir(path: string): Promise<void> {
    return this.retry(`creating folder ${path}`, () => this.inner.mkdir(path));
  }
  remove(path: string): Promise<void> {
    return this.retry(`removing ${path}`, () => this.inner.remove(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.retry(`renaming ${from}`, () => this.inner.rename(from, to));
  }
  hash(path: string): Promise<string> {
    return this.retry(`reading ${path}`, () => this.inner.hash(path));
  }
  /** Retried: a create whose answer was lost reads as "something was there"; the lock then finds its own content. */
  createExclusive(path: string, data: Buffer): Promise<RemoteEntry | undefined> {
    return this.retry(`creating ${path}`, () => this.inner.createExclusive(path, data));
  }
  replaceStamped(path: string, data: Buffer): Promise<RemoteEntry> {
    return this.retry(`writing ${path}`, () => this.inner.replaceStamped(path, data));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
