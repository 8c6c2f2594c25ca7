/**
 * Rows by path, keyed by the path's UTF-8 bytes, so that a listing read from
 * `find` finds its entries without first decoding each into a string (on a
 * sync that changes little, nearly every entry is found and then needs no
 * string of its own). Open addressing with linear probing, at most half full.
 *
 * Rows are numbered 0..size-1 like the base's rows: a new path takes the next
 * row, and removing a row moves the last one into its place. The bytes of
 * all paths sit in one growing buffer (a removed path's bytes stay unused).
 *
 * Invariant: a path's bytes are its name's bytes on disk (pathBytes: plain
 * UTF-8, or escaped bytes given back), so its bytes stand for it alone.
 */
import { isPlainPath, pathBytes } from '../util/path-bytes.js';

const EMPTY = 0;

/** FNV-1a over bytes. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

export class PathIndex {
  private bytes: Buffer;
  private used = 0;
  private starts: Uint32Array;
  private lengths: Uint32Array;
  /** Row + 1 per slot; 0 is empty. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  private scratch = Buffer.alloc(1024);

  constructor(capacity = 16, byteCapacity = capacity * 64) {
    this.bytes = Buffer.allocUnsafe(Math.max(byteCapacity, 64));
    this.starts = new Uint32Array(Math.max(capacity, 16));
    this.lengths = new Uint32Array(this.starts.length);
    this.slots = new Int32Array(slotCountFor(this.starts.length));
    this.mask = this.slots.length - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * An index from its snapshot form (see writePaths, snapshotSlots): the
   * paths as UTF-8 bytes, each ended by a NUL but the last, where each starts,
   * and the slots (nothing is hashed again; the index takes over `starts` and
   * `slots`). undefined when these do not fit together.
   */
  static fromSnapshot(joined: Buffer, starts: Uint32Array, slots: Int32Array): PathIndex | undefined {
    const count = starts.length;
    if (slots.length < slotCountFor(count) || (slots.length & (slots.length - 1)) !== 0) return undefined;
    if (count === 0 ? joined.length !== 0 : starts[0] !== 0) return undefined;
    const lengths = new Uint32Array(count);
    for (let row = 0; row < count; row++) {
      const end = row + 1 < count ? starts[row + 1]! - 1 : joined.length;
      // Each path but the last is ended by a separator.
      if (end < starts[row]! || (row + 1 < count && joined[end] !== 0)) return undefined;
      lengths[row] = end - starts[row]!;
    }
    // Every row in exactly one slot.
    const seen = new Uint8Array(count);
    let placed = 0;
    for (const held of slots) {
      if (held === EMPTY) continue;
      if (held < 1 || held > count || seen[held - 1] === 1) return undefined;
      seen[held - 1] = 1;
      placed++;
    }
    if (placed !== count) return undefined;
    const index = new PathIndex(0, 0);
    index.bytes = Buffer.from(joined);
    index.used = joined.length;
    index.starts = starts;
    index.lengths = lengths;
    index.slots = slots;
    index.mask = slots.length - 1;
    index.count = count;
    return index;
  }

  /** The bytes of all paths joined by NUL (see writePaths). */
  get joinedBytes(): number {
    let bytes = Math.max(0, this.count - 1); // the separators
    for (let row = 0; row < this.count; row++) bytes += this.lengths[row]!;
    return bytes;
  }

  /**
   * Write the paths' bytes joined by NUL, in row order, into `out` at `at`
   * (joinedBytes of them); returns where each starts, from `at`.
   */
  writePaths(out: Buffer, at: number): Uint32Array {
    const starts = new Uint32Array(this.count);
    let offset = 0;
    for (let row = 0; row < this.count; row++) {
      if (row > 0) out[at + offset++] = 0;
      starts[row] = offset;
      offset += this.bytes.copy(out, at + offset, this.starts[row], this.starts[row]! + this.lengths[row]!);
    }
    return starts;
  }

  /** The slots, for the snapshot (see fromSnapshot). */
  get snapshotSlots(): Int32Array {
    return this.slots;
  }

  /** Add `path` as the next row (it must not be in the index); returns that row. */
  add(path: string): number {
    const row = this.count;
    if (row === this.starts.length) this.growRows();
    const escaped = isPlainPath(path) ? undefined : pathBytes(path);
    const length = escaped === undefined ? Buffer.byteLength(path) : escaped.length;
    if (this.used + length > this.bytes.length) this.growBytes(length);
    if (escaped === undefined) this.bytes.write(path, this.used, 'utf8');
    else escaped.copy(this.bytes, this.used);
    this.starts[row] = this.used;
    this.lengths[row] = length;
    this.used += length;
    this.count++;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(row);
    return row;
  }

  /** The row of `path`, or -1. */
  rowOf(path: string): number {
    if (!isPlainPath(path)) {
      const bytes = pathBytes(path);
      return this.rowOfBytes(bytes, 0, bytes.length);
    }
    if (path.length * 3 > this.scratch.length) this.scratch = Buffer.alloc(path.length * 3);
    const length = this.scratch.write(path, 0, 'utf8');
    return this.rowOfBytes(this.scratch, 0, length);
  }

  /**
   * The row of the path whose UTF-8 bytes are buf[start..end), or -1. `hint`:
   * the row it likely is (the one after the last found, say), tried first.
   */
  rowOfBytes(buf: Uint8Array, start: number, end: number, hint = -1): number {
    if (hint >= 0 && hint < this.count && this.isPath(hint, buf, start, end)) return hint;
    for (let slot = hashBytes(buf, start, end) & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.slots[slot]!;
      if (held === EMPTY) return -1;
      if (this.isPath(held - 1, buf, start, end)) return held - 1;
    }
  }

  /** Are buf[start..end) the bytes of `row`'s path? */
  private isPath(row: number, buf: Uint8Array, start: number, end: number): boolean {
    const length = end - start;
    if (this.lengths[row] !== length) return false;
    const bytes = this.bytes;
    const at = this.starts[row]!;
    let i = 0;
    while (i < length && bytes[at + i] === buf[start + i]) i++;
    return i === length;
  }

  /**
   * Number the rows anew: row i becomes the row that was `oldRows[i]` (a
   * permutation of all rows). Nothing is hashed again; the bytes stay where
   * they are (a snapshot written afterwards lays them out in the new order).
   */
  renumber(oldRows: Uint32Array): void {
    const count = this.count;
    const newRow = new Int32Array(count);
    const starts = new Uint32Array(this.starts.length);
    const lengths = new Uint32Array(this.lengths.length);
    for (let row = 0; row < count; row++) {
      const old = oldRows[row]!;
      newRow[old] = row;
      starts[row] = this.starts[old]!;
      lengths[row] = this.lengths[old]!;
    }
    this.starts = starts;
    this.lengths = lengths;
    const slots = this.slots;
    for (let slot = 0; slot < slots.length; slot++) if (slots[slot] !== EMPTY) slots[slot] = newRow[slots[slot]! - 1]! + 1;
  }

  /** Remove `row`; the last row takes its number. */
  removeRow(row: number): void {
    const last = this.count - 1;
    this.unplace(row);
    if (row !== last) {
      this.unplace(last);
      this.starts[row] = this.starts[last]!;
      this.lengths[row] = this.lengths[last]!;
      this.place(row);
    }
    this.count--;
  }

  /** Put `row` (a path not in the index) in its slot. */
  private place(row: number): void {
    const start = this.starts[row]!;
    let slot = hashBytes(this.bytes, start, start + this.lengths[row]!) & this.mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = row + 1;
  }

  /** Take `row` out of its slot, moving later entries of its run back (no tombstones). */
  private unplace(row: number): void {
    const mask = this.mask;
    const slots = this.slots;
    let hole = this.slotOf(row);
    for (let next = (hole + 1) & mask; slots[next] !== EMPTY; next = (next + 1) & mask) {
      const r = slots[next]! - 1;
      const home = hashBytes(this.bytes, this.starts[r]!, this.starts[r]! + this.lengths[r]!) & mask;
      // The entry may move back into the hole only if its home is not between the hole and it.
      const movable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
      if (movable) {
        slots[hole] = slots[next]!;
        hole = next;
      }
    }
    slots[hole] = EMPTY;
  }

  private slotOf(row: number): number {
    const start = this.starts[row]!;
    for (let slot = hashBytes(this.bytes, start, start + this.lengths[row]!) & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.slots[slot] === row + 1) return slot;
    }
  }

  private rehash(slotCount: number): void {
    this.slots = new Int32Array(slotCount);
    this.mask = slotCount - 1;
    for (let row = 0; row < this.count; row++) this.place(row);
  }

  private growRows(): void {
    const starts = new Uint32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
    const lengths = new Uint32Array(starts.length);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }

  private growBytes(atLeast: number): void {
    const bytes = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + atLeast));
    this.bytes.copy(bytes, 0, 0, this.used);
    this.bytes = bytes;
  }
}

/** A power of two at least twice `rows`. */
function slotCountFor(rows: number): number {
  let n = 32;
  while (n < rows * 2) n *= 2;
  return n;
}
