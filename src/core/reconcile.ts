/**
 * Three-way reconcile: for every path, compare each side with the base (the
 * last synced state) and decide what to do. Pure: no I/O, no clock.
 *
 * Invariants:
 * - a side's content is replaced or deleted only when the base proves it is
 *   unchanged since the last sync;
 * - a modification beats a deletion;
 * - two different changes are a conflict, never an overwrite.
 */
import {
  changedSinceBase,
  compareTreeOrder,
  isDescendant,
  otherSide,
  sameContent,
  type BaseEntry,
  type Entry,
  type EntryKind,
  type FileEntry,
  type Side,
} from './entry.js';

export type ActionType = 'copy' | 'mkdir' | 'delete' | 'record' | 'forget' | 'conflict';

export type ConflictKind = 'both-modified' | 'both-created' | 'kind-mismatch' | 'folder-replaced-with-changes';

export interface Action {
  path: string;
  type: ActionType;
  /** Side that is written (copy, mkdir) or removed from (delete). */
  to?: Side;
  /** Kind of the entry being copied, created or deleted. */
  kind?: EntryKind;
  /** The destination currently holds this kind, which the action replaces. */
  replaces?: EntryKind;
  reason: string;
  conflict?: ConflictKind;
}

export interface PathState {
  path: string;
  base?: BaseEntry;
  local?: Entry;
  remote?: Entry;
  /**
   * Both sides are known to hold exactly the base (their stats match what the
   * base saw), so `local` and `remote` are left out to save memory: most
   * paths of a large project are clean on most syncs.
   */
  clean?: boolean;
  /**
   * Synced before, but outside the sync now (the patterns narrowed): neither
   * side listed it, and that says nothing about whether it still exists.
   */
  outside?: boolean;
}

/** Base stats no longer match the sides although content is equal: refresh them. */
function statsStale(base: BaseEntry, local: Entry | undefined, remote: Entry | undefined): boolean {
  if (base.kind !== 'file' || local?.kind !== 'file' || remote?.kind !== 'file') return false;
  const l = local as FileEntry & { ctimeMs?: number; ino?: number };
  return (
    base.remote.racy === true ||
    local.size !== base.local.size ||
    local.mtimeMs !== base.local.mtimeMs ||
    (l.ctimeMs !== undefined && l.ctimeMs !== base.local.ctimeMs) ||
    (l.ino !== undefined && l.ino !== base.local.ino) ||
    remote.size !== base.remote.size ||
    remote.mtimeMs !== base.remote.mtimeMs
  );
}

function describe(e: Entry): string {
  return e.kind === 'dir' ? 'folder' : 'file';
}

/** Propagate `from`'s entry to the other side. */
function propagate(path: string, from: Side, entry: Entry, dest: Entry | undefined, reason: string): Action {
  const to = otherSide(from);
  const action: Action = { path, type: entry.kind === 'dir' ? 'mkdir' : 'copy', to, kind: entry.kind, reason };
  if (dest !== undefined && dest.kind !== entry.kind) action.replaces = dest.kind;
  if (dest !== undefined && dest.kind === 'dir' && entry.kind === 'dir') return { path, type: 'record', reason };
  return action;
}

function conflict(path: string, kind: ConflictKind, reason: string): Action {
  return { path, type: 'conflict', conflict: kind, reason };
}

/** Decide one path on its own; the tree pass below adjusts folders. */
export function reconcilePath(s: PathState): Action | undefined {
  if (s.clean) return undefined;
  const { path, base, local, remote } = s;
  if (s.outside) return { path, type: 'forget', reason: 'no longer included (the patterns changed); left as it is on both sides' };
  if (base === undefined) {
    if (local === undefined && remote === undefined) return undefined;
    if (remote === undefined) return propagate(path, 'local', local!, undefined, `new ${describe(local!)} on local`);
    if (local === undefined) return propagate(path, 'remote', remote, undefined, `new ${describe(remote)} on remote`);
    if (sameContent(local, remote)) return { path, type: 'record', reason: 'identical on both sides' };
    if (local.kind !== remote.kind) {
      return conflict(path, 'kind-mismatch', `a ${describe(local)} on local and a ${describe(remote)} on remote`);
    }
    return conflict(path, 'both-created', 'created on both sides with different content');
  }

  const localChanged = changedSinceBase(base, local);
  const remoteChanged = changedSinceBase(base, remote);
  if (!localChanged && !remoteChanged) {
    return statsStale(base, local, remote) ? { path, type: 'record', reason: 'unchanged; file times refreshed' } : undefined;
  }
  if (localChanged !== remoteChanged) {
    const from: Side = localChanged ? 'local' : 'remote';
    const src = localChanged ? local : remote;
    const dest = localChanged ? remote : local;
    if (src === undefined) {
      return { path, type: 'delete', to: otherSide(from), kind: dest!.kind, reason: `deleted on ${from}` };
    }
    const what = src.kind !== base.kind ? `replaced by a ${describe(src)}` : 'changed';
    return propagate(path, from, src, dest, `${what} on ${from}`);
  }
  // Both sides changed.
  if (sameContent(local, remote)) {
    if (local === undefined) return { path, type: 'forget', reason: 'deleted on both sides' };
    return { path, type: 'record', reason: 'same change on both sides' };
  }
  if (local === undefined) return propagate(path, 'remote', remote!, undefined, 'deleted on local, changed on remote: the change wins');
  if (remote === undefined) return propagate(path, 'local', local, undefined, 'deleted on remote, changed on local: the change wins');
  if (local.kind !== remote.kind) {
    return conflict(path, 'kind-mismatch', `a ${describe(local)} on local and a ${describe(remote)} on remote, both changed`);
  }
  return conflict(path, 'both-modified', 'changed differently on both sides');
}

/** Does this action remove a folder from side `side` (delete, or replace it by a file)? */
function removesFolderOn(a: Action): Side | undefined {
  if (a.type === 'delete' && a.kind === 'dir') return a.to;
  if ((a.type === 'copy' || a.type === 'mkdir') && a.replaces === 'dir') return a.to;
  return undefined;
}

/** Does this action keep the path's entry on `side` (anything but deleting it there)? */
function keepsEntryOn(a: Action | undefined, state: PathState, side: Side): boolean {
  if (state.clean) return true;
  const present = side === 'local' ? state.local : state.remote;
  if (present === undefined) return a !== undefined && (a.type === 'copy' || a.type === 'mkdir') && a.to === side;
  if (a === undefined) return true;
  return !(a.type === 'delete' && a.to === side) && !(a.type === 'forget');
}

export interface Reconciliation {
  /** Every decided action in tree order (a folder before its contents). */
  actions: Action[];
}

/**
 * Reconcile a whole tree. `states` may come in any order. Folder rules:
 * - a folder is removed from a side only if nothing inside it is kept there:
 *   otherwise a deletion becomes a re-creation on the other side, and a
 *   replacement by a file becomes a conflict;
 * - nothing inside a conflicting path is touched.
 */
export function reconcile(states: Iterable<PathState>): Reconciliation {
  const sorted = [...states].sort((a, b) => compareTreeOrder(a.path, b.path));
  const actions: (Action | undefined)[] = sorted.map(reconcilePath);

  for (let i = 0; i < sorted.length; i++) {
    const a = actions[i];
    if (a === undefined) continue;
    const side = removesFolderOn(a);
    if (side === undefined) continue;
    const dir = sorted[i]!.path;
    let kept = false;
    for (let j = i + 1; j < sorted.length && isDescendant(sorted[j]!.path, dir); j++) {
      if (keepsEntryOn(actions[j], sorted[j]!, side)) {
        kept = true;
        break;
      }
    }
    if (!kept) continue;
    const state = sorted[i]!;
    if (a.type === 'delete') {
      const from = side;
      const entry = (from === 'local' ? state.local : state.remote)!;
      actions[i] = {
        path: dir,
        type: 'mkdir',
        to: otherSide(from),
        kind: entry.kind,
        reason: `deleted on ${otherSide(from)}, but its contents changed on ${from}: the folder is kept`,
      };
    } else {
      actions[i] = conflict(dir, 'folder-replaced-with-changes', `replaced by a file on ${otherSide(side)}, but its contents changed on ${side}`);
    }
  }

  // Nothing inside a conflicting folder is touched.
  for (let i = 0; i < sorted.length; i++) {
    if (actions[i]?.type !== 'conflict') continue;
    const dir = sorted[i]!.path;
    for (let j = i + 1; j < sorted.length && isDescendant(sorted[j]!.path, dir); j++) actions[j] = undefined;
  }
  return { actions: actions.filter((a): a is Action => a !== undefined) };
}

/**
 * Remote files whose hash the engine must learn before reconciling: the
 * remote changed since the base (hash unknown) and the local file is a
 * candidate for being the same content (new or changed too).
 */
export function needsRemoteHash(s: PathState): boolean {
  const { base, local, remote } = s;
  if (remote?.kind !== 'file' || remote.hash !== undefined) return false;
  if (local?.kind !== 'file') return false;
  return base === undefined || changedSinceBase(base, local);
}

export type { FileEntry };
