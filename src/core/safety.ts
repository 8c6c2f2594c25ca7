/**
 * Safety halts, checked on the plan before anything is changed. Each halt
 * names what it saw and how to proceed; `--force` skips them.
 */
import type { BaseEntry, EntryKind, Side } from './entry.js';
import type { Action } from './reconcile.js';

/** How many files the base and each side hold; the engine counts them while scanning. */
export interface SafetyCounts {
  /** Files in the base. */
  baseFiles: number;
  /** Of those, files that stay in place however empty a side is (the project file). */
  anchoredBaseFiles: number;
  /** Files each side holds now, anchors aside, including files left out of the sync (too large, unreadable). */
  holds: Record<Side, number>;
}

export interface SafetyInput extends SafetyCounts {
  /** Does the remote folder exist at all? */
  remoteRootExists: boolean;
  actions: readonly Action[];
  maxDeletePercent: number;
  /** Describes each side in messages, e.g. "remote folder /srv/x". */
  describe: Record<Side, string>;
}

export interface SafetyHalt {
  code: 'REMOTE_MISSING' | 'SIDE_EMPTIED' | 'TOO_MANY_DELETES';
  side: Side;
  message: string;
}

/** Deletions a plan makes on each side are never fewer than this before the percentage rule applies. */
export const MIN_DELETES_FOR_HALT = 5;

/** Count files from whole maps (for callers that hold them). */
export function countFiles(
  base: Iterable<[string, BaseEntry]>,
  sides: Record<Side, Iterable<[string, { kind: EntryKind }]>>,
  anchors: readonly string[] = [],
  unlisted: Record<Side, number> = { local: 0, remote: 0 },
): SafetyCounts {
  const counts: SafetyCounts = { baseFiles: 0, anchoredBaseFiles: 0, holds: { ...unlisted } };
  for (const [path, b] of base) {
    if (b.kind !== 'file') continue;
    counts.baseFiles++;
    if (anchors.includes(path)) counts.anchoredBaseFiles++;
  }
  for (const side of ['local', 'remote'] as const) {
    for (const [path, e] of sides[side]) if (e.kind === 'file' && !anchors.includes(path)) counts.holds[side]++;
  }
  return counts;
}

export function checkSafety(input: SafetyInput): SafetyHalt | undefined {
  const { baseFiles } = input;
  if (baseFiles > 0 && !input.remoteRootExists) {
    return {
      code: 'REMOTE_MISSING',
      side: 'remote',
      message: `${input.describe.remote} does not exist, but ${baseFiles} files were synced with it before; check that it is mounted and that remote settings are right (--force would delete those files locally)`,
    };
  }
  // Emptied: no files left at all (folders and the project file aside), although files were synced,
  // and the plan would carry that over (delete or replace on the other side). A side that only lost files the
  // other side changed gets those back, and no halt is needed for it.
  const counted = baseFiles - input.anchoredBaseFiles;
  for (const side of ['remote', 'local'] as const) {
    const other = side === 'local' ? 'remote' : 'local';
    const propagates = input.actions.some((a) => a.to === other && (a.type === 'delete' || a.replaces !== undefined));
    if (counted > 0 && input.holds[side] === 0 && propagates) {
      return {
        code: 'SIDE_EMPTIED',
        side,
        message: `${input.describe[side]} is empty, but ${counted} files were synced with it before; nothing was changed (--force propagates the deletions)`,
      };
    }
  }
  for (const side of ['remote', 'local'] as const) {
    let deletes = 0;
    for (const a of input.actions) if (a.type === 'delete' && a.to === side && a.kind === 'file') deletes++;
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
