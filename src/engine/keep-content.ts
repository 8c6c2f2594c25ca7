/**
 * After a sync, make sure the synced content of every mergeable file is in
 * the content store (so a later conflict can be merged three ways), and drop
 * versions no longer synced.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PathState } from '../core/reconcile.js';
import type { BaseTable } from '../state/base-table.js';
import { isMergeable, policySettings } from './auto-resolve.js';
import type { ContentStore } from './content-store.js';
import type { Session } from './session.js';
import { fsPath } from '../util/path-bytes.js';

export const CONTENT_DIR = 'content';

/** `states`: the paths this sync looked at (their base may have changed); `base`: the base before it (clean paths kept theirs). */
export function keepMergeableContent(session: Session, states: ReadonlyMap<string, PathState>, base: BaseTable, content: ContentStore): void {
  const settings = policySettings(session.cfg);
  const referenced = new Set<string>();
  const keep = (path: string, hash: string): void => {
    referenced.add(hash);
    if (content.has(hash)) return;
    try {
      const data = readFileSync(fsPath(join(session.cfg.projectRoot, path)));
      // Only the synced version is kept: a file edited since is read again next time.
      if (createHash('sha256').update(data).digest('hex') === hash) content.keep(hash, data);
    } catch {
      // Gone or unreadable now: nothing to keep.
    }
  };
  for (const path of states.keys()) {
    if (!isMergeable(path, settings)) continue;
    const b = session.store.getBase(session.remoteId, path);
    if (b?.kind === 'file' && b.hash !== null) keep(path, b.hash);
  }
  for (let row = 0; row < base.size; row++) {
    if (base.isDir(row)) continue;
    const path = base.paths[row]!;
    // (Mergeable first: few paths are, and it needs no lookup.)
    if (!isMergeable(path, settings) || states.has(path)) continue;
    const hash = base.hash(row);
    if (hash !== null) keep(path, hash);
  }
  content.prune(referenced);
}
