/**
 * `arx resolve PATH --keep local|remote|both`: settle one open conflict now
 * (see settle.ts). Discarded versions go to `.arx/backups/resolve_<time>/`.
 */
import type { EffectiveConfig } from '../config/load.js';
import type { Entry } from '../core/entry.js';
import ignore from 'ignore';
import { ArxError, UsageError } from '../errors.js';
import type { ConflictRecord } from '../state/store.js';
import { patternListProblem } from '../scan/patterns.js';
import { BackupStore, type KeptVersion } from '../transfer/backups.js';
import { lockSessionRemote } from './remote-lock.js';
import { openSession } from './session.js';
import { settle } from './settle.js';

export type KeepChoice = 'local' | 'remote' | 'both';

export interface ResolveResult {
  path: string;
  keep: KeepChoice;
  /** For --keep both: where the remote version now lives (on both sides). */
  conflictCopy?: string;
  backups: KeptVersion[];
  backupSet: string;
}

export interface ResolveMany {
  results: ResolveResult[];
  /** Conflicts that could not be settled (each left open), with why. */
  failures: { path: string; error: ArxError }[];
}

/** Settle one open conflict now. */
export async function resolveConflict(cfg: EffectiveConfig, path: string, keep: KeepChoice, now: Date, releaseMemory?: () => void): Promise<ResolveResult> {
  const { results, failures } = await resolveConflicts(cfg, [path], keep, now, releaseMemory);
  if (failures[0]) throw failures[0].error;
  return results[0]!;
}

/**
 * Settle the open conflicts `wanted` names (paths, or gitignore-style globs
 * such as `symbols/**`; `'all'` for every one), in one session and one backup
 * set. A conflict that cannot be settled stays open and the others go on.
 */
export async function resolveConflicts(
  cfg: EffectiveConfig,
  wanted: readonly string[] | 'all',
  keep: KeepChoice,
  now: Date,
  /** Frees the buffers of copied files now (the CLI forces a collection); absent: left to the runtime. */
  releaseMemory?: () => void,
): Promise<ResolveMany> {
  const session = await openSession(cfg, wanted === 'all' ? 'resolve --all' : `resolve ${wanted.join(' ')}`, now);
  // Its writes to the remote happen under the remote lock, as a sync's do.
  const remoteLock = lockSessionRemote(session, `resolve_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`, wanted === 'all' ? 'resolve --all' : `resolve ${wanted.join(' ')}`);
  try {
    const open = session.store.listConflicts(session.remoteId);
    const chosen = wanted === 'all' ? open : select(open, wanted);
    const backups = new BackupStore(cfg.projectRoot, `resolve_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`, session.local);
    const out: ResolveMany = { results: [], failures: [] };
    for (const record of chosen) {
      const before = backups.kept.length;
      try {
        // Settle only the versions the user saw listed: a newer edit on either side is never overwritten unseen.
        const seen = { local: record.local as Entry | null, remote: record.remote as Entry | null };
        const settled = await settle({ session, backups, now, releaseMemory }, record.path, seen, { keep });
        out.results.push({ path: record.path, keep, conflictCopy: settled.conflictCopy, backups: backups.kept.slice(before), backupSet: backups.setId });
      } catch (err) {
        out.failures.push({ path: record.path, error: err instanceof ArxError ? err : new ArxError('internal', 'INTERNAL', String(err), { cause: err }) });
      }
    }
    return out;
  } finally {
    await remoteLock.release();
    await session.close();
  }
}

/** The open conflicts each path or glob names; one that names none is a usage error listing what is open. */
function select(open: readonly ConflictRecord[], wanted: readonly string[]): ConflictRecord[] {
  const chosen = new Set<ConflictRecord>();
  for (const w of wanted) {
    const bad = GLOB_CHARS.test(w) ? patternListProblem('resolve', [w]) : undefined;
    if (bad !== undefined) throw new UsageError(bad.replace(/^resolve\[0\]: /, ''), 'USAGE');
    const exact = open.find((c) => c.path === w);
    const matches = exact ? [exact] : GLOB_CHARS.test(w) ? open.filter((c) => ignore({ allowRelativePaths: true, ignorecase: false }).add(w).ignores(c.path)) : [];
    if (matches.length === 0) {
      const hint = open.length === 0 ? 'there are no open conflicts' : `open conflicts: ${open.slice(0, 5).map((c) => c.path).join(', ')}${open.length > 5 ? ', ...' : ''}`;
      throw new UsageError(`no open conflict ${GLOB_CHARS.test(w) ? 'matches' : 'for'} ${w}; ${hint}`, 'NO_SUCH_CONFLICT');
    }
    for (const m of matches) chosen.add(m);
  }
  return [...chosen];
}

const GLOB_CHARS = /[*?[]/;
