/**
 * `arx resolve PATH --keep local|remote|both`: settle one open conflict now.
 * - local / remote: the kept side's version is copied over the other one
 *   (a local loser goes to the backups first);
 * - both: the remote version is renamed beside the path under a name holding
 *   "conflict", then the two are exchanged so both sides hold both versions.
 * A folder's contents follow with the next sync.
 */
import { createHash } from 'node:crypto';
import type { EffectiveConfig } from '../config/load.js';
import { compareTreeOrder, otherSide, type Entry, type Side } from '../core/entry.js';
import { buildPlan } from '../core/plan.js';
import type { Action } from '../core/reconcile.js';
import { ArxError, UsageError } from '../errors.js';
import type { Remote } from '../remote/types.js';
import { buildFilter, readArxignore } from '../scan/filter.js';
import { BackupStore } from '../transfer/backups.js';
import { Executor } from '../transfer/execute.js';
import { openSession, type Session } from './session.js';

export type KeepChoice = 'local' | 'remote' | 'both';

export interface ResolveResult {
  path: string;
  keep: KeepChoice;
  /** For --keep both: where the remote version now lives (on both sides). */
  conflictCopy?: string;
  backups: string[];
  errors: ArxError[];
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

async function current(remote: Remote, path: string): Promise<Entry | undefined> {
  const st = await remote.stat(path);
  if (st === undefined) return undefined;
  if (st.kind === 'dir') return { kind: 'dir' };
  const hash = st.size <= 1024 * 1024 ? createHash('sha256').update(await remote.readAll(path)).digest('hex') : await remote.hash(path);
  return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, hash };
}

/** Is `now` still the version recorded with the conflict? */
function sameVersion(recorded: Entry | null | undefined, now: Entry | undefined): boolean {
  if (recorded === null || recorded === undefined || now === undefined) return (recorded ?? undefined) === now;
  if (recorded.kind !== now.kind) return false;
  if (recorded.kind === 'dir' || now.kind === 'dir') return true;
  return recorded.hash !== undefined ? recorded.hash === now.hash : recorded.size === now.size && recorded.mtimeMs === now.mtimeMs;
}

/** Remove a folder and everything synced in it from one side (local content goes to the backups). */
async function removeTree(session: Session, side: Side, path: string, backups: BackupStore | undefined): Promise<void> {
  if (side === 'local' && backups) return backups.moveIn(path);
  const target = session[side === 'local' ? 'local' : 'remote'];
  const filter = buildFilter({
    arxignore: readArxignore(session.cfg.projectRoot),
    include: session.cfg.sync.include_patterns,
    exclude: session.cfg.sync.exclude_patterns,
  });
  // Only what the sync would see goes; anything else (ignored files) stays, and the folder with it.
  const listed = await target.list(filter, path);
  const paths = [...listed.entries.keys()].sort(compareTreeOrder).reverse();
  for (const p of paths) await target.remove(p);
  await target.remove(path);
}

export async function resolveConflict(cfg: EffectiveConfig, path: string, keep: KeepChoice, now: Date): Promise<ResolveResult> {
  const session = await openSession(cfg, `resolve ${path}`, now);
  try {
    const open = session.store.listConflicts(session.remoteId);
    const record = open.find((c) => c.path === path);
    if (record === undefined) {
      const hint = open.length === 0 ? 'there are no open conflicts' : `open conflicts: ${open.slice(0, 5).map((c) => c.path).join(', ')}${open.length > 5 ? ', ...' : ''}`;
      throw new UsageError(`no open conflict for ${path}; ${hint}`, 'NO_SUCH_CONFLICT');
    }
    const entries: Record<Side, Entry | undefined> = { local: await current(session.local, path), remote: await current(session.remote, path) };
    // Settle only the versions the user saw listed: a newer edit on either side is never overwritten unseen.
    for (const side of ['local', 'remote'] as const) {
      if (!sameVersion(record[side] as Entry | null, entries[side])) {
        throw new UsageError(`${path} changed on ${side} since the conflict was found; run \`arx sync\` to see it again`, 'CONFLICT_CHANGED');
      }
    }
    const backups = cfg.sync.auto_backup ? new BackupStore(cfg.projectRoot, `resolve_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`) : undefined;
    const result: ResolveResult = { path, keep, backups: [], errors: [] };
    const sides: Record<Side, Remote> = { local: session.local, remote: session.remote };

    const actions: Action[] = [];
    const scanned: Record<Side, Map<string, Entry>> = { local: new Map(), remote: new Map() };
    if (keep === 'both') {
      if (!entries.local || !entries.remote) throw new UsageError(`${path} no longer exists on both sides; run \`arx sync\` instead`, 'CONFLICT_GONE');
      const copy = await conflictCopyName(path, now, async (p) => (await session.remote.stat(p)) !== undefined || (await session.local.stat(p)) !== undefined);
      await session.remote.rename(path, copy);
      result.conflictCopy = copy;
      scanned.local.set(path, entries.local);
      scanned.remote.set(copy, entries.remote);
      actions.push(transferAction(path, 'local', entries.local), transferAction(copy, 'remote', entries.remote));
    } else {
      const winner = entries[keep];
      const loserSide = otherSide(keep);
      const loser = entries[loserSide];
      if (!winner) throw new UsageError(`${path} no longer exists on ${keep}; run \`arx sync\` instead`, 'CONFLICT_GONE');
      if (loser?.kind === 'dir' && winner.kind === 'file') {
        await removeTree(session, loserSide, path, backups);
      } else if (loser !== undefined) {
        scanned[loserSide].set(path, loser);
      }
      scanned[keep].set(path, winner);
      actions.push(transferAction(path, keep, winner));
    }

    const exec = await new Executor({ sides, scanned, store: session.store, remoteId: session.remoteId, backups, parallel: 2, scanTime: Date.now() }).run(buildPlan(actions));
    result.errors.push(...exec.failed.map((f) => f.error));
    for (const s of exec.skipped) result.errors.push(new ArxError('remote', 'CHANGED_DURING_SYNC', s.message));
    if (result.errors.length === 0) {
      // What the base knew below this path described the old tree: forget it, so the next
      // sync compares that subtree afresh (copies, never deletions of unseen files).
      session.store.deleteBaseUnder(session.remoteId, path);
      session.store.deleteConflict(session.remoteId, path);
    }
    result.backups = backups?.kept ?? [];
    return result;
  } finally {
    await session.close();
  }
}

function transferAction(path: string, from: Side, entry: Entry): Action {
  return {
    path,
    type: entry.kind === 'dir' ? 'mkdir' : 'copy',
    to: otherSide(from),
    kind: entry.kind,
    reason: `resolved: keep ${from}`,
  };
}
