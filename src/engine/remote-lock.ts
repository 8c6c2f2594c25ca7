/**
 * A command that writes the remote holds its lock (remote/lock.ts) from its
 * first remote operation until release(): the session's remote is replaced
 * by a LockedRemote.
 */
import { DEFAULT_LEASE_MS, describeHolder, describeLease, readLock, RemoteLock } from '../remote/lock.js';
import { LockedRemote } from '../remote/locked-remote.js';
import type { Remote } from '../remote/types.js';
import type { Session } from './session.js';

export interface RemoteLockHandle {
  /** Let go of the lock (idempotent). */
  release(): Promise<void>;
}

/** Lock the session's remote for this command (`syncId`: what the lock names as its holder). */
export function lockSessionRemote(session: Session, syncId: string, command: string, onNote?: (message: string) => void): RemoteLockHandle {
  const { cfg } = session;
  const leaseMs = cfg.remote.lock_lease !== undefined ? cfg.remote.lock_lease * 1000 : DEFAULT_LEASE_MS;
  const locked = new LockedRemote(session.remote, (inner) => RemoteLock.acquire(inner, { syncId, command }, { waitMs: cfg.sync.lock_wait * 1000, leaseMs, onNote }));
  session.remote = locked;
  return { release: () => locked.release() };
}

/** For a dry run, which takes no lock: a warning when another sync holds it now (its plan may be out of date). */
export async function heldLockWarning(remote: Remote): Promise<string | undefined> {
  const state = await readLock(remote, DEFAULT_LEASE_MS, 'local').catch(() => undefined);
  if (state === undefined || state.expired) return undefined;
  return `the remote is locked by ${describeHolder(state)}, which is syncing with it (${describeLease(state)}); this plan may change once it is done`;
}
