/**
 * After a sync, make sure the synced content of every mergeable file is in
 * the content store (so a later conflict can be merged three ways), and drop
 * versions no longer synced.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PathState } from '../core/reconcile.js';
import { isMergeable, policySettings } from './auto-resolve.js';
import type { ContentStore } from './content-store.js';
import type { Session } from './session.js';

export const CONTENT_DIR = 'content';

export function keepMergeableContent(session: Session, states: ReadonlyMap<string, PathState>, content: ContentStore): void {
  const settings = policySettings(session.cfg);
  const referenced = new Set<string>();
  for (const path of states.keys()) {
    if (!isMergeable(path, settings)) continue;
    const base = session.store.getBase(session.remoteId, path);
    if (base?.kind !== 'file' || base.hash === null) continue;
    referenced.add(base.hash);
    if (content.has(base.hash)) continue;
    try {
      const data = readFileSync(join(session.cfg.projectRoot, path));
      // Only the synced version is kept: a file edited since is read again next time.
      if (createHash('sha256').update(data).digest('hex') === base.hash) content.keep(base.hash, data);
    } catch {
      // Gone or unreadable now: nothing to keep.
    }
  }
  content.prune(referenced);
}
