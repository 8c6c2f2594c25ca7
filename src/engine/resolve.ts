/**
 * `arx resolve PATH --keep local|remote|both`: settle one open conflict now
 * (see settle.ts). Discarded versions go to `.arx/backups/resolve_<time>/`.
 */
import type { EffectiveConfig } from '../config/load.js';
import type { Entry } from '../core/entry.js';
import { UsageError } from '../errors.js';
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

export async function resolveConflict(cfg: EffectiveConfig, path: string, keep: KeepChoice, now: Date): Promise<ResolveResult> {
  const session = await openSession(cfg, `resolve ${path}`, now);
  // Its writes to the remote happen under the remote lock, as a sync's do.
  const remoteLock = lockSessionRemote(session, `resolve_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`, `resolve ${path}`);
  try {
    const open = session.store.listConflicts(session.remoteId);
    const record = open.find((c) => c.path === path);
    if (record === undefined) {
      const hint = open.length === 0 ? 'there are no open conflicts' : `open conflicts: ${open.slice(0, 5).map((c) => c.path).join(', ')}${open.length > 5 ? ', ...' : ''}`;
      throw new UsageError(`no open conflict for ${path}; ${hint}`, 'NO_SUCH_CONFLICT');
    }
    const backups = new BackupStore(cfg.projectRoot, `resolve_${now.toISOString().replace(/[-:.]/g, '').replace('T', '_')}`, session.local);
    // Settle only the versions the user saw listed: a newer edit on either side is never overwritten unseen.
    const seen = { local: record.local as Entry | null, remote: record.remote as Entry | null };
    const settled = await settle({ session, backups, now }, path, seen, { keep });
    return { path, keep, conflictCopy: settled.conflictCopy, backups: backups.kept, backupSet: backups.setId };
  } finally {
    await remoteLock.release();
    await session.close();
  }
}
