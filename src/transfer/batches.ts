/**
 * Which new files go to the remote in batches (Remote.createMany), and how
 * they are grouped: small files only, and only where there are enough of
 * them for a batch to beat writing them one by one.
 */
import type { FileEntry } from '../core/entry.js';

/** Fewer new files than this: one by one (a batch costs a process start on the server). */
export const BATCH_MIN_FILES = 64;
/** Bounds of one batch (it is held in memory until sent). */
export const BATCH_MAX_FILES = 1000;
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
/** Larger files go one by one, with pipelined writes. */
export const BATCH_FILE_MAX_BYTES = 256 * 1024;
/** Batches in flight at once: one being read and packed while others unpack on the server. */
export const BATCHES_IN_FLIGHT = 3;

export function isBatchable(src: FileEntry): boolean {
  return src.size <= BATCH_FILE_MAX_BYTES;
}

/** Consecutive groups within the bounds; none when there are too few files to be worth it. */
export function splitIntoBatches(files: readonly FileEntry[]): FileEntry[][] {
  if (files.length < BATCH_MIN_FILES) return [];
  const batches: FileEntry[][] = [];
  let current: FileEntry[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && (current.length >= BATCH_MAX_FILES || bytes + f.size > BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
