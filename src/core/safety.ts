/**
 * Safety halts, checked on the plan before anything is changed. Each halt
 * names what it saw and how to proceed; `--force` skips them.
 */
import type { BaseEntry, Entry, Side } from './entry.js';
import type { Action } from './reconcile.js';

export interface SafetyInput {
  base: ReadonlyMap<string, BaseEntry>;
  local: ReadonlyMap<string, Entry>;
  remote: ReadonlyMap<string, Entry>;
  /** Does the remote folder exist at all? */
  remoteRootExists: boolean;
  actions: readonly Action[];
  maxDeletePercent: number;
  /** Describes each side in messages, e.g. "remote folder /srv/x". */
  describe: Record<Side, string>;
  /** Files that stay in place however empty a side is (the project file): not counted for "emptied". */
  anchors?: readonly string[];
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
  const present: Record<Side, number> = { local: 0, remote: 0 };
  for (const [path, b] of input.base) {
    if (b.kind !== 'file') continue;
    baseFiles++;
    if (input.anchors?.includes(path)) {
      anchored++;
      continue;
    }
    if (input.local.get(path)?.kind === 'file') present.local++;
    if (input.remote.get(path)?.kind === 'file') present.remote++;
  }
  if (baseFiles > 0 && !input.remoteRootExists) {
    return {
      code: 'REMOTE_MISSING',
      side: 'remote',
      message: `${input.describe.remote} does not exist, but ${baseFiles} files were synced with it before; check that it is mounted and that remote settings are right (--force would delete those files locally)`,
    };
  }
  for (const side of ['remote', 'local'] as const) {
    const counted = baseFiles - anchored;
    if (counted > 0 && present[side] === 0) {
      return {
        code: 'SIDE_EMPTIED',
        side,
        message: `${input.describe[side]} holds none of the ${counted} files synced before; it looks emptied or replaced, so nothing was changed (--force propagates the deletions)`,
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
