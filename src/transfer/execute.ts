/**
 * Execute a plan: phases in order, up to `parallel` actions at once inside a
 * phase. Every write is atomic and verified against the hash seen by the
 * scan; a destination that changed since the scan is left alone. The base is
 * recorded as soon as each action finishes (in the base journal, then the
 * database), so a killed sync keeps its work.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { depth, isRacy, isRacyRemote, otherSide, sameMtime, type BaseEntry, type Entry, type FileEntry, type Side, type SideStat } from '../core/entry.js';
import type { Plan } from '../core/plan.js';
import type { Action } from '../core/reconcile.js';
import { ArrivalRefusedError, ArxError, ChangedDuringSyncError, unexpectedToArx } from '../errors.js';
import { LocalFolderRemote, SMALL_FILE_BYTES } from '../remote/local/local-remote.js';
import type { BatchFile, FillSource, LocalFileSource, Remote, RemoteEntry } from '../remote/types.js';
import type { StateStore } from '../state/store.js';
import { inLanes } from '../util/lanes.js';
import type { BackupStore } from './backups.js';
import { BATCHES_IN_FLIGHT, isBatchable, splitIntoBatches } from './batches.js';

export type ExecEvent =
  | { type: 'start'; action: Action; bytes: number }
  | { type: 'progress'; action: Action; bytes: number }
  | { type: 'done'; action: Action; bytes: number }
  | { type: 'skipped'; action: Action; message: string }
  | { type: 'failed'; action: Action; error: ArxError };

export interface ExecContext {
  sides: Record<Side, Remote>;
  /** What the scan saw on each side. */
  scanned: Record<Side, { get(path: string): Entry | undefined }>;
  store: StateStore;
  remoteId: string;
  /** When the scan read the files (ms since the epoch). */
  scanTime: number;
  /** Present when auto_backup is on. */
  backups?: BackupStore;
  parallel: number;
  signal?: AbortSignal;
  onEvent?: (e: ExecEvent) => void;
  /**
   * Checks of files arriving in the project folder: for a path it applies to,
   * `check` sees the size, then the whole data, before anything is written,
   * and throws ArrivalRefusedError to leave the local version alone.
   */
  arrivals?: { applies(path: string): boolean; check(path: string, size: number, data?: Buffer): void };
  /**
   * A stat the file written at this path on the remote must not repeat: another
   * replica whose base holds it would take the new file for the one it knows
   * (`arx resolve` replacing a version of the same size and time).
   */
  distinctFrom?: (path: string) => { size: number; mtimeMs: number } | undefined;
  /** Frees the buffers of copied files now (the CLI forces a collection); absent: left to the runtime. */
  releaseMemory?: () => void;
}

export interface ExecResult {
  uploaded: number;
  downloaded: number;
  deleted: number;
  foldersCreated: number;
  foldersDeleted: number;
  bytes: number;
  /** Actions left for the next sync because a side changed meanwhile. */
  skipped: { path: string; message: string }[];
  /** Paths whose name the destination refused (NAME_NOT_STORABLE): skipped, and reported by name. */
  unstorable: { path: string; side: 'local' | 'remote'; message: string }[];
  failed: { path: string; error: ArxError }[];
  /** Remote versions the arrival checks refused (nothing was written). */
  refused: ArrivalRefusedError[];
  /** Stopped early by a cancel or a fatal remote error. */
  aborted?: ArxError;
}

const DIR_STAT: SideStat = { size: 0, mtimeMs: 0 };

/** The sha256 of data read from a file, which must be what the scan saw (its size, and its hash where known). */
function hashAsScanned(path: string, src: FileEntry, data: Buffer): string {
  const hash = createHash('sha256').update(data).digest('hex');
  if (data.length !== src.size || (src.hash !== undefined && hash !== src.hash)) throw new ChangedDuringSyncError(path);
  return hash;
}

/**
 * What the base records of one side. Local files also keep ctime and inode,
 * which let the next scan trust the base without reading the file, unless the
 * file was modified too shortly before `readAt` for its stat to vouch for it.
 */
function localStat(e: (Entry & { ctimeMs?: number; ino?: number }) | RemoteEntry | undefined, readAt: number): SideStat {
  if (e === undefined || e.kind === 'dir') return DIR_STAT;
  if (e.ctimeMs === undefined || isRacy(e.mtimeMs, readAt)) return { size: e.size, mtimeMs: e.mtimeMs };
  return { size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, ino: e.ino };
}

/** What the base records of the remote side: size and mtime, flagged when too recent to vouch later. */
function remoteStat(e: Entry | RemoteEntry | undefined, seenAt: number, precisionMs: number): SideStat {
  if (e === undefined || e.kind === 'dir') return DIR_STAT;
  return isRacyRemote(e.mtimeMs, seenAt, precisionMs) ? { size: e.size, mtimeMs: e.mtimeMs, racy: true } : { size: e.size, mtimeMs: e.mtimeMs };
}

/**
 * File data that passes through JavaScript buffers (streams, network
 * packets) is freed by the garbage collector, which (counting only small
 * heap objects) may wait until tens of megabytes pile up. When the caller
 * gives `releaseMemory` (the CLI: a forced collection, bin/arx starts node
 * with --expose-gc), it is called after a large file and after every
 * RELEASE_EVERY bytes of small ones; the engine itself never tunes the process.
 */
const RELEASE_EVERY = 48 * 1024 * 1024;

/**
 * Batches keep their buffers (the files, the archive, the packets) alive
 * long enough to outlive the young generation: memory is released once that
 * much buffer memory is held, rather than when the heap's own limits say so.
 */
const BATCH_BUFFERS_HELD = 24 * 1024 * 1024;

/** Per-lane read buffer: most project files (symbols, rules) are far smaller. */
const SCRATCH_BYTES = 256 * 1024;

export class Executor {
  private readonly result: ExecResult = { uploaded: 0, downloaded: 0, deleted: 0, foldersCreated: 0, foldersDeleted: 0, bytes: 0, skipped: [], unstorable: [], failed: [], refused: [] };

  private bytesSinceRelease = 0;

  constructor(private readonly ctx: ExecContext) {}

  async run(plan: Plan): Promise<ExecResult> {
    this.commitRecords(plan.records);
    // Each finished action's base goes to the journal at once, and to the database in batches.
    this.ctx.store.startJournal();
    try {
      await this.runByDepth(plan.mkdirs, (a) => this.mkdir(a), 'shallow-first');
      const oneByOne = await this.createInBatches(plan.copies);
      await this.runParallel(oneByOne, (a, lane) => this.copy(a, lane), this.copyLanes());
      await this.runParallel(plan.fileDeletes, (a) => this.delete(a), this.copyLanes());
      await this.runByDepth(plan.dirDeletes, (a) => this.delete(a), 'deep-first');
      await this.runParallel(plan.replacements, (a, lane) => this.copy(a, lane));
    } finally {
      this.ctx.store.stopJournal();
    }
    return this.result;
  }

  private stopped(): boolean {
    if (this.result.aborted) return true;
    if (this.ctx.signal?.aborted) {
      this.result.aborted = new ArxError('cancelled', 'CANCELLED', 'sync was cancelled');
      return true;
    }
    return false;
  }

  private async runParallel(actions: Action[], fn: (a: Action, lane: number) => Promise<void>, lanes = this.ctx.parallel): Promise<void> {
    await inLanes(actions, lanes, (a, lane) => this.guarded(a, (x) => fn(x, lane)), () => this.stopped());
  }

  /** Copies and deletions: a network remote keeps several small files in flight per transfer slot (each costs round trips). */
  private copyLanes(): number {
    return this.ctx.parallel * Math.max(this.ctx.sides.local.capabilities.pipelining ?? 1, this.ctx.sides.remote.capabilities.pipelining ?? 1);
  }

  /** One read buffer per lane for small files (a new buffer per file would pile up until a full GC); bigger ones get their own. */
  private readonly scratch: Buffer[] = [];

  private precision(): number {
    return this.ctx.sides.remote.capabilities.mtimePrecisionMs;
  }

  private scratchFor(lane: number): Buffer {
    return (this.scratch[lane] ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES));
  }

  /** Folders at one depth run in parallel; depths run in order. */
  private async runByDepth(actions: Action[], fn: (a: Action) => Promise<void>, order: 'shallow-first' | 'deep-first'): Promise<void> {
    const byDepth = new Map<number, Action[]>();
    for (const a of actions) {
      const d = depth(a.path);
      byDepth.set(d, [...(byDepth.get(d) ?? []), a]);
    }
    const depths = [...byDepth.keys()].sort((x, y) => (order === 'shallow-first' ? x - y : y - x));
    for (const d of depths) await this.runParallel(byDepth.get(d)!, fn);
  }

  private async guarded(a: Action, fn: (a: Action) => Promise<void>): Promise<void> {
    if (this.stopped()) return;
    try {
      await fn(a);
    } catch (err) {
      const error = unexpectedToArx(err, { what: `syncing ${a.path} (writing the project's state in ${this.ctx.store.stateDir})`, dir: this.ctx.store.stateDir });
      if (error instanceof ArrivalRefusedError) {
        this.result.refused.push(error);
        this.ctx.onEvent?.({ type: 'skipped', action: a, message: error.message });
        return;
      }
      // Left for a later sync, not a failure: a side changed meanwhile, or a folder
      // to delete still holds files that are not synced (ignored ones).
      if (error.code === 'NAME_NOT_STORABLE' && a.to !== undefined) {
        this.result.unstorable.push({ path: a.path, side: a.to, message: error.message });
        this.ctx.onEvent?.({ type: 'skipped', action: a, message: error.message });
        return;
      }
      const vanished = error.code === 'NOT_FOUND' && (await this.vanished(error));
      if (error.code === 'CHANGED_DURING_SYNC' || error.code === 'FOLDER_NOT_EMPTY' || vanished) {
        const message = vanished ? `${a.path} vanished while it was being synced (${error.message}); it was left for the next sync` : error.message;
        this.result.skipped.push({ path: a.path, message });
        this.ctx.onEvent?.({ type: 'skipped', action: a, message });
        return;
      }
      this.result.failed.push({ path: a.path, error });
      this.ctx.onEvent?.({ type: 'failed', action: a, error });
      // Faults that will hit every remaining action too: stop here.
      if (error.category === 'network' || error.category === 'lock' || error.code === 'DISK_FULL' || error.code === 'ROOT_REPLACED') this.result.aborted ??= error;
    }
  }

  /**
   * A file or folder deleted since the scan (rsync's "vanished"): the next sync
   * sees it gone. Only while the remote folder itself is still there: a remote
   * that went away as a whole is a fault, not a thousand vanished files.
   */
  private async vanished(error: ArxError): Promise<boolean> {
    if (error.category === 'local') return true;
    return this.ctx.sides.remote.rootExists().catch(() => false);
  }

  private commitRecords(actions: Action[]): void {
    const { store, remoteId, scanned } = this.ctx;
    store.transaction(() => {
      for (const a of actions) {
        if (a.type === 'forget') {
          store.deleteBase(remoteId, a.path);
          continue;
        }
        const l = scanned.local.get(a.path)!;
        const r = scanned.remote.get(a.path)!;
        store.putBase(remoteId, a.path, {
          kind: l.kind,
          hash: l.kind === 'file' ? l.hash! : null,
          local: localStat(l, this.ctx.scanTime),
          remote: remoteStat(r, this.ctx.scanTime, this.precision()),
        });
      }
    });
  }

  /** A side must still be what the scan saw: a destination, or we would overwrite an unseen change; a source, or we would copy a torn read. */
  private async assertUnchanged(side: Side, path: string): Promise<RemoteEntry | undefined> {
    const now = await this.ctx.sides[side].stat(path);
    if (!this.sameStat(side, now, this.ctx.scanned[side].get(path))) throw new ChangedDuringSyncError(path);
    return now;
  }

  /** Same kind, and for files the same size and mtime (and, where both know them, ctime and inode). */
  private sameStat(side: Side, now: RemoteEntry | undefined, seen: (Entry & { ctimeMs?: number; ino?: number }) | RemoteEntry | undefined): boolean {
    if (now === undefined || seen === undefined) return now === seen;
    if (now.kind !== seen.kind) return false;
    if (seen.kind === 'dir') return true;
    if (now.size !== seen.size || !sameMtime(now.mtimeMs, seen.mtimeMs, this.ctx.sides[side].capabilities.mtimePrecisionMs)) return false;
    if (seen.ctimeMs !== undefined && now.ctimeMs !== undefined && seen.ctimeMs !== now.ctimeMs) return false;
    return seen.ino === undefined || now.ino === undefined || seen.ino === now.ino;
  }

  private async mkdir(a: Action): Promise<void> {
    const to = a.to!;
    const dest = this.ctx.sides[to];
    this.ctx.onEvent?.({ type: 'start', action: a, bytes: 0 });
    const current = await this.assertUnchanged(to, a.path);
    if (current?.kind === 'file') await this.removeFile(to, a.path);
    await dest.mkdir(a.path);
    this.commit(a.path, { kind: 'dir', hash: null, local: DIR_STAT, remote: DIR_STAT });
    this.result.foldersCreated++;
    this.ctx.onEvent?.({ type: 'done', action: a, bytes: 0 });
  }

  private async removeFile(side: Side, path: string): Promise<void> {
    if (side === 'local' && this.ctx.backups) await this.ctx.backups.moveIn(path);
    else await this.ctx.sides[side].remove(path);
  }

  /**
   * The source's time, one second later where it would repeat `distinctFrom`
   * (a whole second: times set in milliseconds may come back rounded down).
   */
  private writtenMtime(path: string, to: Side, src: FileEntry): number {
    const avoid = to === 'remote' ? this.ctx.distinctFrom?.(path) : undefined;
    const precision = this.ctx.sides[to].capabilities.mtimePrecisionMs;
    if (avoid === undefined || avoid.size !== src.size || !sameMtime(avoid.mtimeMs, src.mtimeMs, precision)) return src.mtimeMs;
    return src.mtimeMs + Math.max(1000, precision);
  }

  private async delete(a: Action): Promise<void> {
    const to = a.to!;
    this.ctx.onEvent?.({ type: 'start', action: a, bytes: 0 });
    const current = await this.assertUnchanged(to, a.path);
    if (current?.kind === 'file') await this.removeFile(to, a.path);
    else if (current?.kind === 'dir') await this.ctx.sides[to].remove(a.path);
    this.ctx.store.deleteBase(this.ctx.remoteId, a.path);
    if (a.kind === 'file') this.result.deleted++;
    else this.result.foldersDeleted++;
    this.ctx.onEvent?.({ type: 'done', action: a, bytes: 0 });
  }

  private async copy(a: Action, lane: number): Promise<void> {
    const to = a.to!;
    const from = otherSide(to);
    const src = this.ctx.scanned[from].get(a.path) as FileEntry;
    const source = this.ctx.sides[from];
    const dest = this.ctx.sides[to];
    this.ctx.onEvent?.({ type: 'start', action: a, bytes: src.size });
    // A checked file is read and checked whole before the destination is touched (no backup, no temporary).
    let checked: Buffer | undefined;
    const arrivals = to === 'local' && this.ctx.arrivals?.applies(a.path) ? this.ctx.arrivals : undefined;
    if (arrivals !== undefined) {
      arrivals.check(a.path, src.size);
      checked = await source.readAll(a.path);
      hashAsScanned(a.path, src, checked);
      arrivals.check(a.path, checked.length, checked);
    }

    // A new file on a remote that can create atomically: no stat round trips (the create itself
    // refuses a file that appeared meanwhile).
    const create = this.ctx.scanned[to].get(a.path) === undefined && dest.capabilities.atomicCreate === true;
    let current = create ? undefined : await this.assertUnchanged(to, a.path);
    if (current?.kind === 'dir') {
      await dest.remove(a.path);
      current = undefined;
    } else if (current?.kind === 'file' && to === 'local' && this.ctx.backups) {
      await this.ctx.backups.keepBeforeOverwrite(a.path);
      current = await dest.stat(a.path); // the backup link itself changes the ctime
    }
    // Checked again after the data is written and just before the rename: neither the
    // source (a torn read) nor the destination (a save meanwhile) may have changed.
    const stillSame = async (): Promise<void> => {
      if (!this.sameStat(from, await source.stat(a.path), src)) throw new ChangedDuringSyncError(a.path);
      if (create) return;
      const destNow = await dest.stat(a.path);
      if (!this.sameStat(to, destNow, current)) throw new ChangedDuringSyncError(a.path);
    };

    let written: RemoteEntry;
    let hash: string;
    const mtimeMs = this.writtenMtime(a.path, to, src);
    if (src.size <= SMALL_FILE_BYTES || checked !== undefined) {
      const data = checked ?? (await source.readAll(a.path, this.scratchFor(lane)));
      hash = hashAsScanned(a.path, src, data);
      written = await dest.write(a.path, data, { mtimeMs, verify: stillSame, expectAbsent: create });
      this.ctx.onEvent?.({ type: 'progress', action: a, bytes: data.length });
    } else if (source instanceof LocalFolderRemote || (dest instanceof LocalFolderRemote && source.download)) {
      // File to file: from a local file (the destination reads it as it likes best), or into one
      // with the source's own pipelined download. Either way the writer reports the hash.
      let digest: string | undefined;
      // A local source is opened first (never through a link), and read by that descriptor.
      const opened = source instanceof LocalFolderRemote ? await source.openSource(a.path) : undefined;
      const data: LocalFileSource | FillSource = opened ?? { fill: (tmp: string) => source.download!(a.path, tmp) };
      try {
        written = await dest.write(a.path, data, {
          mtimeMs,
          expectAbsent: create,
          verify: async (writtenSha256) => {
            if (writtenSha256 === undefined || (src.hash !== undefined && writtenSha256 !== src.hash)) throw new ChangedDuringSyncError(a.path);
            digest = writtenSha256;
            await stillSame();
          },
        });
      } finally {
        opened?.close();
      }
      hash = digest!;
      this.ctx.onEvent?.({ type: 'progress', action: a, bytes: written.size });
    } else {
      const h = createHash('sha256');
      const counted = this.hashing(a, await source.read(a.path), h);
      let digest = '';
      written = await dest.write(a.path, counted, {
        mtimeMs,
        expectAbsent: create,
        verify: async () => {
          digest = h.digest('hex');
          if (src.hash !== undefined && digest !== src.hash) throw new ChangedDuringSyncError(a.path);
          await stillSame();
        },
      });
      hash = digest;
      this.ctx.releaseMemory?.();
    }
    this.bytesSinceRelease += written.size;
    if (this.bytesSinceRelease > RELEASE_EVERY) {
      this.bytesSinceRelease = 0;
      this.ctx.releaseMemory?.();
    }
    this.recordCopy(a, src, hash, written);
  }

  /** A copy that landed: its base (the destination as written, the source as scanned), counts, event. */
  private recordCopy(a: Action, src: FileEntry, hash: string, written: RemoteEntry): void {
    const now = Date.now();
    const to = a.to!;
    this.commit(a.path, {
      kind: 'file',
      hash,
      local: to === 'local' ? localStat(written, now) : localStat(src, this.ctx.scanTime),
      remote: to === 'remote' ? remoteStat(written, now, this.precision()) : remoteStat(src, this.ctx.scanTime, this.precision()),
    });
    if (to === 'remote') this.result.uploaded++;
    else this.result.downloaded++;
    this.result.bytes += written.size;
    this.ctx.onEvent?.({ type: 'done', action: a, bytes: written.size });
  }

  /**
   * New small files for a remote that creates many at once (Remote.createMany),
   * in batches; returns the copies left to do one by one: the others, and
   * those of a batch the remote could not take or was cut off from.
   */
  private async createInBatches(copies: Action[]): Promise<Action[]> {
    const { remote } = this.ctx.sides;
    if (remote.createMany === undefined) return copies;
    const rest: Action[] = [];
    const batchable: FileEntry[] = [];
    const actionOf = new Map<FileEntry, Action>();
    for (const a of copies) {
      const src = this.ctx.scanned.local.get(a.path);
      if (a.to === 'remote' && src?.kind === 'file' && this.ctx.scanned.remote.get(a.path) === undefined && isBatchable(src)) {
        batchable.push(src);
        actionOf.set(src, a);
      } else rest.push(a);
    }
    const batches = splitIntoBatches(batchable).map((b) => b.map((src) => actionOf.get(src)!));
    if (batches.length === 0) return copies;
    let batching = true;
    const one = async (batch: Action[]): Promise<void> => {
      if (this.stopped()) return;
      if (!batching) {
        rest.push(...batch);
        return;
      }
      const outcome = await this.createBatch(batch);
      if (process.memoryUsage().arrayBuffers > BATCH_BUFFERS_HELD) this.ctx.releaseMemory?.();
      if (outcome.left.length > 0) rest.push(...outcome.left);
      if (!outcome.batched) batching = false;
    };
    // The first alone: it tells whether the remote batches at all. Then several at once,
    // so that reading and packing one overlaps the server unpacking another.
    await one(batches[0]!);
    await inLanes(batches.slice(1), BATCHES_IN_FLIGHT, one, () => this.stopped());
    return rest;
  }

  /**
   * One batch: read and check each file, hand them to the remote, record each
   * as it lands. `batched` false: the remote cannot batch, or the connection
   * went; what did not land is in `left`, to be copied one by one (those
   * writes retry through network faults).
   */
  private async createBatch(actions: Action[]): Promise<{ left: Action[]; batched: boolean }> {
    const local = this.ctx.sides.local;
    const files: BatchFile[] = [];
    const pending = new Map<BatchFile, { action: Action; hash: string }>();
    // One buffer holds the whole batch, each file read into its own slice: a buffer per small
    // file would be freed only by a full garbage collection, and tens of thousands add up.
    let total = 0;
    for (const a of actions) total += (this.ctx.scanned.local.get(a.path) as FileEntry).size;
    const arena = Buffer.allocUnsafeSlow(total);
    let offset = 0;
    for (const a of actions) {
      await this.guarded(a, async () => {
        const src = this.ctx.scanned.local.get(a.path) as FileEntry;
        this.ctx.onEvent?.({ type: 'start', action: a, bytes: src.size });
        const slice = arena.subarray(offset, offset + src.size);
        offset += src.size;
        const data = await local.readAll(a.path, slice);
        const hash = hashAsScanned(a.path, src, data);
        await this.assertUnchanged('local', a.path);
        const f = { path: a.path, data, mtimeMs: src.mtimeMs };
        files.push(f);
        pending.set(f, { action: a, hash });
      });
    }
    if (files.length === 0 || this.stopped()) return { left: [], batched: true };
    const left: Action[] = [];
    const unfinished = (): Action[] => [...pending.values()].map((p) => p.action);
    try {
      const batched = await this.ctx.sides.remote.createMany!(files, (f, outcome) => {
        const { action: a, hash } = pending.get(f)!;
        pending.delete(f);
        if (!(outcome instanceof ArxError)) {
          this.ctx.onEvent?.({ type: 'progress', action: a, bytes: outcome.size });
          this.recordCopy(a, this.ctx.scanned.local.get(a.path) as FileEntry, hash, outcome);
        }
        else if (outcome.code === 'CHANGED_DURING_SYNC' || outcome.code === 'SYMLINK_IN_PATH') void this.guarded(a, () => Promise.reject(outcome));
        else left.push(a);
      });
      return batched ? { left, batched } : { left: unfinished(), batched };
    } catch (err) {
      if (!(err instanceof ArxError && err.category === 'network')) throw err;
      return { left: [...left, ...unfinished()], batched: false };
    }
  }

  /** Pass data through, hashing it and reporting bytes as they flow. */
  private hashing(a: Action, input: Readable, h: ReturnType<typeof createHash>): Readable {
    const onEvent = this.ctx.onEvent;
    const t = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        h.update(chunk);
        onEvent?.({ type: 'progress', action: a, bytes: chunk.length });
        cb(null, chunk);
      },
    });
    input.on('error', (err) => t.destroy(err));
    return input.pipe(t);
  }

  private commit(path: string, entry: BaseEntry): void {
    this.ctx.store.putBase(this.ctx.remoteId, path, entry);
  }
}
