/**
 * Settle one conflict, by hand (`arx resolve`) or by policy during a sync.
 * - local / remote: the kept version is copied over the other one;
 * - both: the remote version is renamed beside the path under a name holding
 *   "conflict", then each side gets the version it lacks;
 * - merged: the merged text is written to both sides.
 * Every version that is discarded is kept in the backups first (a remote one
 * is downloaded), whatever `auto_backup` says. Nothing is settled if either
 * side changed since the conflict was seen. A folder's contents follow with
 * the next sync.
 */
import { namePaths } from '../report/skipped.js';
import { createHash } from 'node:crypto';
import { compareTreeOrder, otherSide, type Entry, type Side } from '../core/entry.js';
import { buildPlan } from '../core/plan.js';
import type { Action } from '../core/reconcile.js';
import { ArxError, UsageError } from '../errors.js';
import type { Remote } from '../remote/types.js';
import { buildFilter } from '../scan/filter.js';
import type { BackupStore } from '../transfer/backups.js';
import { Executor } from '../transfer/execute.js';
import type { ContentStore } from './content-store.js';
import { arrivalCheck } from './arrivals.js';
import { filterSettingsOf } from './filter-settings.js';
import type { Session } from './session.js';

export type Settlement = { keep: 'local' | 'remote' | 'both' } | { merged: string };
export type Outcome = 'local-won' | 'remote-won' | 'kept-both' | 'merged';

export interface Settled {
  outcome: Outcome;
  /** keep both: where the remote version now lives (on both sides). */
  conflictCopy?: string;
}

/** `a/b/name.ext` -> `a/b/name.conflict-remote-20261125-101500.ext`, the first such name `taken` says is free. */
export async function conflictCopyName(path: string, now: Date, taken: (p: string) => Promise<boolean>): Promise<string> {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let i = 1; ; i++) {
    const candidate = `${dir}${stem}.conflict-remote-${stamp}${i === 1 ? '' : `-${i}`}${ext}`;
    if (!(await taken(candidate))) return candidate;
  }
}

export async function currentEntry(remote: Remote, path: string): Promise<Entry | undefined> {
  const st = await remote.stat(path);
  if (st === undefined) return undefined;
  if (st.kind === 'dir') return { kind: 'dir' };
  const hash = st.size <= 1024 * 1024 ? createHash('sha256').update(await remote.readAll(path)).digest('hex') : await remote.hash(path);
  return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, hash };
}

/** Is `now` still the version seen when the conflict was found? */
export function sameVersion(seen: Entry | null | undefined, now: Entry | undefined): boolean {
  if (seen === null || seen === undefined || now === undefined) return (seen ?? undefined) === now;
  if (seen.kind !== now.kind) return false;
  if (seen.kind === 'dir' || now.kind === 'dir') return true;
  return seen.hash !== undefined ? seen.hash === now.hash : seen.size === now.size && seen.mtimeMs === now.mtimeMs;
}

/**
 * A folder that holds files the sync leaves out (ignored or excluded) is never
 * replaced: they would leave the project with no trace but a backup. The
 * conflict stays open until they are moved out.
 */
async function assertOnlySynced(session: Session, side: Side, path: string): Promise<void> {
  const filter = buildFilter(filterSettingsOf(session.cfg, false));
  const synced = (await session[side].list(filter, path)).entries;
  const everything = await session[side].list(undefined, path);
  const left = [...everything.entries.keys()].filter((p) => !synced.has(p)).sort(compareTreeOrder);
  if (left.length === 0) return;
  const shown = namePaths(left, 5);
  throw new UsageError(
    `${path} is a folder on ${side} that holds files the sync leaves out (ignored or excluded: ${shown}); it is not replaced, so they do not vanish. Move them out of ${path}, then settle it with arx resolve`,
    'FOLDER_HOLDS_UNSYNCED',
  );
}

/** Remove a folder and everything synced in it from one side, keeping the discarded files in the backups. */
async function removeTree(session: Session, side: Side, path: string, backups: BackupStore): Promise<void> {
  if (side === 'local') return backups.moveIn(path);
  const filter = buildFilter(filterSettingsOf(session.cfg, false));
  // Only what the sync would see goes; anything else (ignored files) stays, and the folder with it.
  const listed = await session.remote.list(filter, path);
  const paths = [...listed.entries.keys()].sort(compareTreeOrder).reverse();
  for (const p of paths) {
    if (listed.entries.get(p)!.kind === 'file') await backups.keepRemote(session.remote, p);
    await session.remote.remove(p);
  }
  await session.remote.remove(path);
}

function transferAction(path: string, from: Side, entry: Entry): Action {
  return { path, type: entry.kind === 'dir' ? 'mkdir' : 'copy', to: otherSide(from), kind: entry.kind, reason: `settled: keep ${from}` };
}

export interface SettleContext {
  session: Session;
  backups: BackupStore;
  content?: ContentStore;
  now: Date;
  /** Frees the buffers of copied files now (the CLI forces a collection); absent: left to the runtime. */
  releaseMemory?: () => void;
}

/**
 * Settle `path`, whose versions were `seen` when the conflict was found.
 * Throws CONFLICT_CHANGED (nothing done) when either side changed since.
 */
export async function settle(ctx: SettleContext, path: string, seen: Record<Side, Entry | null | undefined>, how: Settlement): Promise<Settled> {
  const { session, backups, now } = ctx;
  const entries: Record<Side, Entry | undefined> = { local: await currentEntry(session.local, path), remote: await currentEntry(session.remote, path) };
  for (const side of ['local', 'remote'] as const) {
    if (!sameVersion(seen[side], entries[side])) {
      throw new UsageError(`${path} changed on ${side} since the conflict was found; run \`arx sync\` to see it again`, 'CONFLICT_CHANGED');
    }
  }
  const sides: Record<Side, Remote> = { local: session.local, remote: session.remote };
  const scanned: Record<Side, Map<string, Entry>> = { local: new Map(), remote: new Map() };
  const actions: Action[] = [];
  let settled: Settled;

  if ('merged' in how) {
    if (entries.local?.kind !== 'file' || entries.remote?.kind !== 'file') throw new UsageError(`${path}: only files can be merged`, 'CONFLICT_NOT_MERGEABLE');
    await backups.keepRemote(session.remote, path);
    await backups.keepBeforeOverwrite(path);
    await writeMerged(ctx, path, entries.local, entries.remote, how.merged);
    return { outcome: 'merged' };
  } else if (how.keep === 'both') {
    if (!entries.local || !entries.remote) throw new UsageError(`${path} no longer exists on both sides; run \`arx sync\` instead`, 'CONFLICT_GONE');
    const copy = await conflictCopyName(path, now, async (p) => (await session.remote.stat(p)) !== undefined || (await session.local.stat(p)) !== undefined);
    await session.remote.rename(path, copy);
    scanned.local.set(path, entries.local);
    scanned.remote.set(copy, entries.remote);
    actions.push(transferAction(path, 'local', entries.local), transferAction(copy, 'remote', entries.remote));
    settled = { outcome: 'kept-both', conflictCopy: copy };
  } else {
    const keep = how.keep;
    const winner = entries[keep];
    const loserSide = otherSide(keep);
    const loser = entries[loserSide];
    if (!winner) throw new UsageError(`${path} no longer exists on ${keep}; run \`arx sync\` instead`, 'CONFLICT_GONE');
    if (loser?.kind === 'dir' && winner.kind === 'file') {
      await assertOnlySynced(session, loserSide, path);
      await removeTree(session, loserSide, path, backups);
    }
    else if (loser !== undefined) {
      // The local loser is kept by the executor as it overwrites; the remote one is fetched now.
      if (loserSide === 'remote' && loser.kind === 'file') await backups.keepRemote(session.remote, path);
      scanned[loserSide].set(path, loser);
    }
    scanned[keep].set(path, winner);
    actions.push(transferAction(path, keep, winner));
    settled = { outcome: keep === 'local' ? 'local-won' : 'remote-won' };
  }

  // What replaces the remote version must not look like it to a replica whose base knows that version.
  const replaced = entries.remote?.kind === 'file' ? entries.remote : undefined;
  const distinctFrom = (p: string) => (p === path ? replaced : undefined);
  const exec = await new Executor({ sides, scanned, store: session.store, remoteId: session.remoteId, backups, parallel: 2, scanTime: now.getTime(), arrivals: arrivalCheck, distinctFrom, releaseMemory: ctx.releaseMemory }).run(buildPlan(actions));
  const problem = exec.failed[0]?.error ?? exec.refused[0] ?? (exec.skipped[0] ? new ArxError('remote', 'CHANGED_DURING_SYNC', exec.skipped[0].message) : undefined);
  if (problem) throw problem;
  // What the base knew below this path described the old tree: forget it, so the next
  // sync compares that subtree afresh (copies, never deletions of unseen files).
  session.store.deleteBaseUnder(session.remoteId, path);
  session.store.deleteConflict(session.remoteId, path);
  return settled;
}

/** Write the merged text to both sides (atomically, each checked unchanged) and record it as synced. */
async function writeMerged(ctx: SettleContext, path: string, local: Entry & { kind: 'file' }, remote: Entry & { kind: 'file' }, text: string): Promise<void> {
  const { session } = ctx;
  const data = Buffer.from(text);
  const hash = createHash('sha256').update(data).digest('hex');
  const mtimeMs = ctx.now.getTime();
  const unchanged = (side: Side, seen: Entry & { kind: 'file' }) => async () => {
    const now = await session[side].stat(path);
    if (now?.kind !== 'file' || now.size !== seen.size || now.mtimeMs !== seen.mtimeMs) throw new ArxError('remote', 'CHANGED_DURING_SYNC', `${path} changed while it was being merged; it will be synced next time`);
  };
  const writtenRemote = await session.remote.write(path, data, { mtimeMs, verify: unchanged('remote', remote) });
  const writtenLocal = await session.local.write(path, data, { mtimeMs, verify: unchanged('local', local) });
  session.store.putBase(session.remoteId, path, {
    kind: 'file',
    hash,
    // Written just now, so its stat cannot vouch for it yet (racy): the next scan reads it once.
    local: { size: writtenLocal.size, mtimeMs: writtenLocal.mtimeMs },
    remote: { size: writtenRemote.size, mtimeMs: writtenRemote.mtimeMs, racy: true },
  });
  ctx.content?.keep(hash, data);
  session.store.deleteConflict(session.remoteId, path);
}
