/**
 * One remote's base held column by column: a path list, an index by path
 * (PathIndex: a listing finds a path by its bytes), the
 * numbers in one typed array and the hashes as raw bytes. A sync compares
 * every walked entry with it, but builds an entry object only for the few
 * paths that changed: on a large project that is most of the cost of a sync
 * that changes nothing.
 *
 * The same columns, written out as one block (encode), are the base's
 * snapshot in the state database: loading it is one read instead of a row
 * per path (see StateStore.baseSnapshot).
 */
import { sameMtime, statMatches, type BaseEntry, type Side, type SideStat } from '../core/entry.js';
import { decodePath } from '../util/path-bytes.js';
import { PathIndex } from './path-index.js';
import type { BaseRow } from './store.js';

/** Numbers per row: isDir, has hash, local size, mtime, ctime, inode, remote size, mtime, racy. Absent values are NaN. */
const STRIDE = 9;
const HASH_BYTES = 32;
/** Snapshot header: magic, format, row count, byte length of the paths, number of index slots. */
const MAGIC = 0x42585241; // "ARXB"
const FORMAT = 2;
const HEADER = 20;

/** What a walk saw of a path (no object per entry: one is reused). */
export interface SeenStat {
  kind: string;
  size: number;
  mtimeMs: number;
  ctimeMs?: number;
  ino?: number;
}

/** A base change as the database saw it: a row put, a path deleted, or everything below a folder deleted. */
export type BaseChange = { put: BaseRow } | { delete: string } | { deleteUnder: string };

export class BaseTable {
  /** The path of each row (not to be changed from outside). */
  paths: string[] = [];
  private index = new PathIndex();
  private nums: Float64Array;
  private hashBytes: Buffer;
  private readonly seen: SideStat = { size: 0, mtimeMs: 0, ctimeMs: undefined, ino: undefined };

  constructor(capacity = 1024) {
    this.nums = new Float64Array(STRIDE * Math.max(capacity, 16));
    this.hashBytes = Buffer.alloc(HASH_BYTES * Math.max(capacity, 16));
  }

  get size(): number {
    return this.paths.length;
  }

  add(r: BaseRow): void {
    this.setRow(this.grow(r[0]), r);
  }

  private setRow(i: number, r: BaseRow): void {
    let k = i * STRIDE;
    const n = this.nums;
    n[k++] = r[1];
    n[k++] = r[2] === null ? 0 : 1;
    n[k++] = r[3];
    n[k++] = r[4];
    n[k++] = r[5] ?? NaN;
    n[k++] = r[6] ?? NaN;
    n[k++] = r[7];
    n[k++] = r[8];
    n[k] = r[9] ?? 0;
    if (r[2] !== null) this.hashBytes.write(r[2], i * HASH_BYTES, HASH_BYTES, 'hex');
  }

  /** The row of `path`, or undefined when the base does not hold it. */
  rowOf(path: string): number | undefined {
    const row = this.index.rowOf(path);
    return row === -1 ? undefined : row;
  }

  /** The row of the path whose bytes (see path-bytes.ts) are buf[start..end), or -1 (`hint`: the row it likely is). */
  rowOfBytes(buf: Uint8Array, start: number, end: number, hint = -1): number {
    return this.index.rowOfBytes(buf, start, end, hint);
  }

  isDir(row: number): boolean {
    return this.nums[row * STRIDE] === 1;
  }

  hash(row: number): string | null {
    return this.nums[row * STRIDE + 1] === 1 ? this.hashBytes.toString('hex', row * HASH_BYTES, (row + 1) * HASH_BYTES) : null;
  }

  /** The row as a base entry (the form reconcile takes). */
  entry(row: number): BaseEntry {
    const n = this.nums;
    const k = row * STRIDE;
    const ctime = n[k + 4]!;
    const ino = n[k + 5]!;
    const local: SideStat = Number.isNaN(ctime) ? { size: n[k + 2]!, mtimeMs: n[k + 3]! } : { size: n[k + 2]!, mtimeMs: n[k + 3]!, ctimeMs: ctime, ino: Number.isNaN(ino) ? undefined : ino };
    const remote: SideStat = n[k + 8] === 1 ? { size: n[k + 6]!, mtimeMs: n[k + 7]!, racy: true } : { size: n[k + 6]!, mtimeMs: n[k + 7]! };
    return { kind: n[k] === 1 ? 'dir' : 'file', hash: this.hash(row), local, remote };
  }

  /**
   * Does what `side` shows at this path prove it still holds the base? A
   * folder is a folder; a local file must match size, mtime, ctime and inode;
   * a remote file size and mtime (at the remote's precision), unless that
   * stat was too recent to vouch for its content.
   */
  holds(row: number, side: Side, e: SeenStat, precisionMs: number): boolean {
    const n = this.nums;
    const k = row * STRIDE;
    const isDir = n[k] === 1;
    if (isDir !== (e.kind === 'dir')) return false;
    if (isDir) return true;
    if (side === 'local') {
      const ctime = n[k + 4]!;
      if (Number.isNaN(ctime)) return false;
      const seen = this.seen;
      seen.size = n[k + 2]!;
      seen.mtimeMs = n[k + 3]!;
      seen.ctimeMs = ctime;
      seen.ino = Number.isNaN(n[k + 5]!) ? undefined : n[k + 5]!;
      return statMatches(seen, e);
    }
    return n[k + 8] !== 1 && e.size === n[k + 6] && sameMtime(e.mtimeMs, n[k + 7]!, precisionMs);
  }

  /**
   * Apply `changes` in order (what the database holds after them): a put
   * overwrites or adds a row, a deletion moves the last row into the freed
   * one (row order means nothing).
   */
  applyChanges(changes: readonly BaseChange[]): void {
    for (const c of changes) {
      if ('put' in c) {
        const row = this.rowOf(c.put[0]);
        if (row === undefined) this.add(c.put);
        else this.setRow(row, c.put);
      } else if ('delete' in c) this.removeRow(this.rowOf(c.delete));
      else {
        // '/' sorts just before '0': strictly below the folder, as StateStore.deleteBaseUnder.
        const below = this.paths.filter((p) => p > `${c.deleteUnder}/` && p < `${c.deleteUnder}0`);
        for (const p of below) this.removeRow(this.rowOf(p));
      }
    }
  }

  private removeRow(row: number | undefined): void {
    if (row === undefined) return;
    const last = this.paths.length - 1;
    this.index.removeRow(row);
    if (row !== last) {
      this.paths[row] = this.paths[last]!;
      this.nums.copyWithin(row * STRIDE, last * STRIDE, (last + 1) * STRIDE);
      this.hashBytes.copy(this.hashBytes, row * HASH_BYTES, last * HASH_BYTES, (last + 1) * HASH_BYTES);
    }
    this.paths.pop();
  }

  /**
   * Number the rows anew: those in `first` in that order (each once; rows
   * not in the table are ignored), then the others in their order. What the
   * table holds is unchanged (row order means nothing to it), but a listing
   * that meets the paths in this order reads the table front to back.
   */
  reorder(first: readonly number[]): void {
    const count = this.size;
    const oldRows = new Uint32Array(count);
    const placed = new Uint8Array(count);
    let next = 0;
    for (const row of first) {
      if (row >= 0 && row < count && placed[row] === 0) {
        placed[row] = 1;
        oldRows[next++] = row;
      }
    }
    for (let row = 0; row < count; row++) if (placed[row] === 0) oldRows[next++] = row;
    const nums = new Float64Array(this.nums.length);
    const hashes = Buffer.alloc(this.hashBytes.length);
    const paths = new Array<string>(count);
    for (let row = 0; row < count; row++) {
      const old = oldRows[row]!;
      nums.set(this.nums.subarray(old * STRIDE, (old + 1) * STRIDE), row * STRIDE);
      this.hashBytes.copy(hashes, row * HASH_BYTES, old * HASH_BYTES, (old + 1) * HASH_BYTES);
      paths[row] = this.paths[old]!;
    }
    this.nums = nums;
    this.hashBytes = hashes;
    this.paths = paths;
    this.index.renumber(oldRows);
  }

  /** The snapshot form: header, numbers, hashes, the path index (where each path starts, its slots), then the paths separated by NUL. */
  encode(): Buffer {
    const count = this.size;
    const slots = this.index.snapshotSlots;
    const pathBytes = this.index.joinedBytes;
    const pathsAt = HEADER + count * (STRIDE * 8 + HASH_BYTES + 4) + slots.byteLength;
    const out = Buffer.alloc(pathsAt + pathBytes);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(FORMAT, 4);
    out.writeUInt32LE(count, 8);
    out.writeUInt32LE(pathBytes, 12);
    out.writeUInt32LE(slots.length, 16);
    let at = HEADER;
    at += Buffer.from(this.nums.buffer, this.nums.byteOffset, count * STRIDE * 8).copy(out, at);
    at += this.hashBytes.copy(out, at, 0, count * HASH_BYTES);
    // The paths as the index holds their bytes, written in place (no string is encoded again).
    const starts = this.index.writePaths(out, pathsAt);
    at += Buffer.from(starts.buffer, starts.byteOffset, starts.byteLength).copy(out, at);
    Buffer.from(slots.buffer, slots.byteOffset, slots.byteLength).copy(out, at);
    return out;
  }

  /** A table from its snapshot form, or undefined when `data` is not one (another format, damaged). */
  static decode(data: Buffer): BaseTable | undefined {
    if (data.length < HEADER || data.readUInt32LE(0) !== MAGIC || data.readUInt32LE(4) !== FORMAT) return undefined;
    const count = data.readUInt32LE(8);
    const pathBytes = data.readUInt32LE(12);
    const slotBytes = data.readUInt32LE(16) * 4;
    const numBytes = count * STRIDE * 8;
    const hashEnd = HEADER + numBytes + count * HASH_BYTES;
    const startsEnd = hashEnd + count * 4;
    if (data.length !== startsEnd + slotBytes + pathBytes) return undefined;
    const table = new BaseTable(0);
    // Copied out: typed arrays need their alignment, and the table owns its memory.
    table.nums = new Float64Array(count * STRIDE);
    Buffer.from(table.nums.buffer).set(data.subarray(HEADER, HEADER + numBytes));
    table.hashBytes = Buffer.from(data.subarray(HEADER + numBytes, hashEnd));
    const starts = new Uint32Array(count);
    Buffer.from(starts.buffer).set(data.subarray(hashEnd, startsEnd));
    const slots = new Int32Array(slotBytes / 4);
    Buffer.from(slots.buffer).set(data.subarray(startsEnd, startsEnd + slotBytes));
    const joined = data.subarray(startsEnd + slotBytes);
    // The index as it was: nothing is hashed again.
    const index = PathIndex.fromSnapshot(joined, starts, slots);
    if (index === undefined) return undefined;
    table.index = index;
    // One decode and one split: far cheaper than a decode per path.
    const paths = count === 0 ? [] : decodePath(joined).split('\0');
    if (paths.length !== count) return undefined;
    table.paths = paths;
    return table;
  }

  /** Room for one more row, for `path`; returns its index. */
  private grow(path: string): number {
    const i = this.paths.length;
    if ((i + 1) * STRIDE > this.nums.length) {
      const nums = new Float64Array(Math.max(this.nums.length * 2, STRIDE * 16));
      nums.set(this.nums);
      this.nums = nums;
      const hashes = Buffer.alloc(nums.length / STRIDE * HASH_BYTES);
      this.hashBytes.copy(hashes);
      this.hashBytes = hashes;
    }
    this.paths.push(path);
    this.index.add(path);
    return i;
  }
}
