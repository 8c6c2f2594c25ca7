/**
 * Safety halts, checked on the plan before anything is changed. Each halt
 * names what it saw and how to proceed; `--force` skips them.
 */
import type { BaseEntry, EntryKind, Side } from './entry.js';
import type { Action } from './reconcile.js';

export interface SafetyInput {
  base: ReadonlyMap<string, BaseEntry>;
  /** Everything listed on each side (before paths of unknown state are set aside). */
  local: ReadonlyMap<string, { kind: EntryKind }>;
  remote: ReadonlyMap<string, { kind: EntryKind }>;
  /** Does the remote folder exist at all? */
  remoteRootExists: boolean;
  actions: readonly Action[];
  maxDeletePercent: number;
  /** Describes each side in messages, e.g. "remote folder /srv/x". */
  describe: Record<Side, string>;
  /** Files that stay in place however empty a side is (the project file): not counted for "emptied". */
  anchors?: readonly string[];
  /** Files present on a side but left out of its entries (too large, unreadable): the side is not empty. */
  unlisted?: Record<Side, number>;
}

export interface SafetyHalt {
  code: 'REMOTE_MISSING' | 'SIDE_EMPTIED' | 'TOO_MANY_DELETES';
  side: Side;
  message: string;
}

/** Deletions a plan makes on each side are never fewer than this before the percentage rule applies. */
export const MIN_DELETES_FOR_HALT = 5;

export function checkSafety(input: SafetyInput): SafetyHalt | undefined {
  let baseFiles = 0;
  let anchored = 0;
  for (const [path, b] of input.base) {
    if (b.kind !== 'file') continue;
    baseFiles++;
    if (input.anchors?.includes(path)) anchored++;
  }
  /** Files a side holds now, anchors aside. */
  const holds = (entries: ReadonlyMap<string, { kind: EntryKind }>): number => {
    let n = 0;
    for (const [path, e] of entries) if (e.kind === 'file' && !input.anchors?.includes(path)) n++;
    return n;
  };
  if (baseFiles > 0 && !input.remoteRootExists) {
    return {
      code: 'REMOTE_MISSING',
      side: 'remote',
      message: `${input.describe.remote} does not exist, but ${baseFiles} files were synced with it before; check that it is mounted and that remote settings are right (--force would delete those files locally)`,
    };
  }
  // Emptied: no files left at all (folders and the project file aside), although files were synced.
  for (const side of ['remote', 'local'] as const) {
    const counted = baseFiles - anchored;
    if (counted > 0 && holds(input[side]) + (input.unlisted?.[side] ?? 0) === 0) {
      return {
        code: 'SIDE_EMPTIED',
        side,
        message: `${input.describe[side]} is empty, but ${counted} files were synced with it before; nothing was changed (--force propagates the deletions)`,
      };
    }
  }
  for (const side of ['remote', 'local'] as const) {
    const deletes = input.actions.filter((a) => a.type === 'delete' && a.to === side && a.kind === 'file').length;
    const limit = (baseFiles * input.maxDeletePercent) / 100;
    if (deletes > MIN_DELETES_FOR_HALT && deletes > limit) {
      const pct = baseFiles === 0 ? 100 : Math.round((deletes / baseFiles) * 100);
      return {
        code: 'TOO_MANY_DELETES',
        side,
        message: `this sync would delete ${deletes} of ${baseFiles} synced files (${pct}%) from ${input.describe[side]}, above sync.max_delete_percent (${input.maxDeletePercent}%); nothing was changed. Check the other side, then run with --force if the deletions are intended`,
      };
    }
  }
  return undefined;
}
