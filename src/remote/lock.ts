/**
 * The remote lock: one writer at a time in a remote folder, so two replicas
 * syncing at once never interleave their check-then-rename steps
 * (ARCHITECTURE invariant 7). Built on the Remote interface alone, so every
 * remote has it.
 *
 * - The lock is the file `.arx-lock/owner` in the remote folder, made by a
 *   create that never replaces (Remote.createExclusive: of many callers one
 *   wins, and its content is there at once) inside the folder `.arx-lock`
 *   (made when missing; without `owner` it is unlocked). It names the holder
 *   (host, pid, sync_id, command), a random token and the lease.
 * - The holder replaces it (atomically) every lease/6, which moves its
 *   modification time. The lease is judged on the remote's clock alone: the
 *   owner's modification time against the time the remote stamps on a probe
 *   file the waiter creates. No two machines' clocks are compared. (Over
 *   SFTP times are whole seconds, so a lease may look up to 1 s shorter.)
 * - The holder writes only while its last renewal is younger than 3/4 of the
 *   lease on its own clock, so it has stopped before anyone may take over.
 * - A lock of a process that is gone from this machine (same host name and
 *   pid namespace, no such pid: a killed sync) counts as expired at once. A
 *   pid reused by another process only makes the waiter wait for the lease.
 * - An expired lock is taken over by whoever creates `.arx-lock/takeover-<id
 *   of the stale owner>` (create-only: one waiter per stale owner). The winner
 *   checks that the owner is still that one and still expired, then replaces
 *   it. A claim whose claimant died is itself stale after a lease and is
 *   taken over the same way, by the claim named after its claimant.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { readlinkSync } from 'node:fs';
import { ArxError, errnoCode, RemoteLockedError, RemoteLockLostError } from '../errors.js';
import { REMOTE_LOCK_DIR } from '../scan/filter.js';
import type { Remote } from './types.js';

export const LOCK_OWNER = `${REMOTE_LOCK_DIR}/owner`;
export const DEFAULT_LEASE_MS = 60_000;

/** What `.arx-lock/owner` holds. */
export interface LockOwner {
  token: string;
  host: string;
  pid: number;
  sync_id: string;
  command: string;
  /** When it was taken, on the holder's clock (shown only). */
  since: string;
  lease_ms: number;
  renewals: number;
  /** Linux: the holder's pid namespace (`pid:[N]`), so a pid is only judged on the machine and namespace it belongs to. */
  pid_ns?: string;
}

/** The lock as a waiter sees it. */
export interface LockState {
  /** undefined while the owner file is being written, or when it is not arx's. */
  owner: LockOwner | undefined;
  /** The owner file's modification time (the remote's clock). */
  mtimeMs: number;
  /** How old it is on the remote's clock. */
  ageMs: number;
  leaseMs: number;
  expired: boolean;
  /** When the lease ends, on this machine's clock. */
  leaseEnds: Date;
}

export interface Holder {
  syncId: string;
  command: string;
}

export interface AcquireOptions {
  /** How long to wait for a lock held by another (0: fail at once). */
  waitMs: number;
  leaseMs: number;
  /** A progress line (the holder being waited for). */
  onNote?: (message: string) => void;
  /** Pause between looks at a held lock. */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseOwner(data: Buffer): LockOwner | undefined {
  try {
    const o = JSON.parse(data.toString('utf8')) as Partial<LockOwner>;
    return typeof o.token === 'string' && typeof o.lease_ms === 'number' && o.lease_ms > 0 ? (o as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof ArxError && err.code === 'NOT_FOUND';
}

/** The owner file's content alone (no clock); undefined when there is none or it is not readable. */
async function readOwner(remote: Remote): Promise<LockOwner | undefined> {
  const data = await remote.readAll(LOCK_OWNER).catch(retryIfMissing);
  return data === undefined ? undefined : parseOwner(Buffer.from(data));
}

/** The time on the remote's clock, from a probe file it stamps. */
export async function remoteNow(remote: Remote): Promise<number> {
  const probe = `${REMOTE_LOCK_DIR}/clock-${randomBytes(6).toString('hex')}`;
  const e = await remote.createExclusive(probe, Buffer.alloc(0));
  await remote.remove(probe).catch(() => undefined);
  return e?.mtimeMs ?? Date.now();
}

/**
 * The lock as it is now; undefined when nobody holds it. `clock`: 'remote'
 * judges the lease on the remote's clock (a probe file); 'local' on this
 * machine's, writing nothing (a dry run's warning: skew makes it approximate).
 */
export async function readLock(remote: Remote, defaultLeaseMs = DEFAULT_LEASE_MS, clock: 'remote' | 'local' = 'remote'): Promise<LockState | undefined> {
  let data: Buffer;
  try {
    data = Buffer.from(await remote.readAll(LOCK_OWNER));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  const st = await remote.stat(LOCK_OWNER);
  if (st === undefined) return undefined;
  const owner = parseOwner(data);
  const leaseMs = owner?.lease_ms ?? defaultLeaseMs;
  const ageMs = (clock === 'remote' ? await remoteNow(remote) : Date.now()) - st.mtimeMs;
  const expired = ageMs > leaseMs || (owner !== undefined && goneFromHere(owner));
  return { owner, mtimeMs: st.mtimeMs, ageMs, leaseMs, expired, leaseEnds: new Date(Date.now() + leaseMs - ageMs) };
}

/** This machine's pid namespace, where there is one. */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** The holder ran here (same host name and pid namespace) and its process no longer exists. */
function goneFromHere(o: LockOwner): boolean {
  if (o.host !== hostname() || o.pid_ns !== pidNamespace() || !Number.isInteger(o.pid) || o.pid <= 0) return false;
  if (o.pid === process.pid) return false;
  try {
    process.kill(o.pid, 0);
    return false;
  } catch (err) {
    return errnoCode(err) === 'ESRCH';
  }
}

/** `arx sync sync_... (pid 12 on host-b, since ...)` */
export function describeHolder(s: LockState): string {
  const o = s.owner;
  if (o === undefined) return 'another arx (its lock file is being written or is not readable)';
  return `arx ${o.command}${o.sync_id && !o.command.includes(o.sync_id) ? ` ${o.sync_id}` : ''} (pid ${o.pid} on ${o.host}, since ${o.since})`;
}

/** "ends in 42 s (at 12:01:05)" or "ended 3 s ago" on this machine's clock. */
export function describeLease(s: LockState): string {
  if (s.expired && s.ageMs <= s.leaseMs) return 'its process is gone from this machine';
  const left = Math.round((s.leaseMs - s.ageMs) / 1000);
  return left > 0 ? `its lease ends in ${left} s (at ${s.leaseEnds.toISOString()} on this machine's clock) unless it is renewed` : `its lease ended ${-left} s ago`;
}

/** Names a stale owner in a claim's file name. */
function idOf(s: LockState): string {
  return createHash('sha256').update(s.owner?.token ?? `unreadable-${s.mtimeMs}`).digest('hex').slice(0, 16);
}

export class RemoteLock {
  private lost: string | undefined;
  private lastRenewal: number;
  private renewing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly remote: Remote,
    private owner: LockOwner,
    startedAt: number,
  ) {
    this.lastRenewal = startedAt;
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, Math.max(100, owner.lease_ms / 6));
    this.timer.unref();
  }

  /**
   * Take the lock, waiting up to opts.waitMs for another holder; an expired
   * lock is taken over. 'no-root' when the remote folder does not exist (the
   * caller locks once it has made it). Throws RemoteLockedError naming the
   * holder when the wait runs out.
   */
  static async acquire(remote: Remote, who: Holder, opts: AcquireOptions): Promise<RemoteLock | 'no-root'> {
    const token = randomBytes(12).toString('hex');
    const deadline = performance.now() + opts.waitMs;
    let announced: string | undefined;
    let unsettled = 0;
    for (;;) {
      try {
        await remote.mkdir(REMOTE_LOCK_DIR);
      } catch (err) {
        if (err instanceof ArxError && err.category === 'network') throw err; // retried already
        if (!(await remote.rootExists())) return 'no-root';
        // The folder was there and is gone (a release removed it meanwhile): look again.
        if (++unsettled > 20) throw err;
        await sleep(5 + Math.random() * 20);
        continue;
      }
      const started = performance.now();
      const owner: LockOwner = { token, host: hostname(), pid: process.pid, pid_ns: pidNamespace(), sync_id: who.syncId, command: who.command, since: new Date().toISOString(), lease_ms: opts.leaseMs, renewals: 0 };
      if ((await remote.createExclusive(LOCK_OWNER, json(owner)).catch(retryIfMissing)) !== undefined) return new RemoteLock(remote, owner, started);
      const state = await readLock(remote, opts.leaseMs).catch(retryIfMissing);
      if (state === undefined) continue; // released meanwhile: try again
      if (state.owner?.token === token) return new RemoteLock(remote, owner, started); // our create, its answer lost and retried
      if (state.expired) {
        if (await takeOver(remote, state, owner)) return new RemoteLock(remote, owner, started);
        await sleep(50 + Math.random() * 100);
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new RemoteLockedError(
          `the remote is locked by ${describeHolder(state)}, which is syncing with it; ${describeLease(state)}. ` +
            `Sync again when it is done${opts.waitMs > 0 ? ` (waited ${Math.round(opts.waitMs / 1000)} s, sync.lock_wait)` : ''}; if that sync is gone (a killed process, a lost machine), its lock is taken over once the lease has ended, or remove it with \`arx unlock --remote --force\``,
        );
      }
      const holder = describeHolder(state);
      if (announced !== holder) {
        opts.onNote?.(`waiting up to ${Math.ceil(left / 1000)} s for the remote lock, held by ${holder}`);
        announced = holder;
      }
      const poll = opts.pollMs ?? 100;
      await sleep(Math.min(left, Math.max(10, state.leaseMs - state.ageMs + 20), poll * (0.5 + Math.random())));
    }
  }

  /** Throws RemoteLockLostError when this sync may no longer write the remote. */
  assertHeld(): void {
    if (this.lost === undefined && performance.now() - this.lastRenewal > (this.owner.lease_ms * 3) / 4) {
      this.lost = `its lease of ${Math.round(this.owner.lease_ms / 1000)} s could not be renewed in time`;
    }
    if (this.lost !== undefined) throw new RemoteLockLostError(`this sync lost the remote lock (${this.lost}); it wrote nothing more there. Sync again`);
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost !== undefined) return;
    try {
      this.assertHeld();
    } catch {
      return;
    }
    const started = performance.now();
    try {
      const now = await readOwner(this.remote);
      if (now?.token !== this.owner.token) {
        this.lost = now === undefined ? 'its lock file was removed' : `it was taken over by arx ${now.command} (pid ${now.pid} on ${now.host})`;
        return;
      }
      this.owner = { ...this.owner, renewals: this.owner.renewals + 1 };
      await this.remote.replaceStamped(LOCK_OWNER, json(this.owner));
      this.lastRenewal = started;
    } catch {
      // Tried again at the next tick; the lease lapses (assertHeld) if it keeps failing.
    }
  }

  /** Let go: the owner file is removed if it is still this sync's and its lease still valid (else it just expires). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.renewing;
    try {
      this.assertHeld();
    } catch {
      return;
    }
    const now = await readOwner(this.remote).catch(() => undefined);
    if (now?.token !== this.owner.token) return;
    await this.remote.remove(LOCK_OWNER).catch(() => undefined);
    await this.remote.remove(REMOTE_LOCK_DIR).catch(() => undefined);
  }
}

/**
 * Replace the expired owner `stale` with `mine`, if this caller wins the
 * claim for it (see the top of this file). false: someone else did, or it
 * changed meanwhile.
 */
async function takeOver(remote: Remote, stale: LockState, mine: LockOwner): Promise<boolean> {
  const claimOf = (id: string) => `${REMOTE_LOCK_DIR}/takeover-${id}`;
  const me = json({ token: mine.token, host: mine.host, pid: mine.pid });
  let claim = claimOf(idOf(stale));
  for (let depth = 0; ; depth++) {
    const made = await remote.createExclusive(claim, me).catch(retryIfMissing);
    if (made !== undefined) break;
    const theirs = await readLock(remote, stale.leaseMs).catch(() => undefined); // (owner, for the clock below)
    const data = await remote.readAll(claim).catch(() => undefined);
    const st = await remote.stat(claim).catch(() => undefined);
    if (data === undefined || st === undefined || theirs === undefined) return false;
    const claimant = parseClaim(data);
    if (claimant === mine.token) break; // our create, its answer lost
    // A live claimant is taking over; a claim older than a lease is a dead one's.
    if (depth >= 3 || claimant === undefined || (await remoteNow(remote)) - st.mtimeMs <= stale.leaseMs) return false;
    claim = claimOf(createHash('sha256').update(claimant).digest('hex').slice(0, 16));
  }
  try {
    const now = await readLock(remote, stale.leaseMs);
    if (now === undefined || !now.expired || idOf(now) !== idOf(stale)) return false;
    await remote.replaceStamped(LOCK_OWNER, json(mine));
    return true;
  } finally {
    await remote.remove(claim).catch(() => undefined);
  }
}

function parseClaim(data: Buffer): string | undefined {
  try {
    const c = JSON.parse(data.toString('utf8')) as { token?: unknown };
    return typeof c.token === 'string' ? c.token : undefined;
  } catch {
    return undefined;
  }
}

/** A missing file or folder (released or moved meanwhile) reads as undefined; the caller looks again. */
function retryIfMissing(err: unknown): undefined {
  if (isMissing(err)) return undefined;
  throw err;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) + '\n');
}

/**
 * Remove the lock by hand (`arx unlock --remote`). A live lease is refused
 * unless `force`. Returns what was removed (undefined: there was no lock).
 */
export async function breakLock(remote: Remote, force: boolean): Promise<LockState | undefined> {
  const state = await readLock(remote);
  if (state === undefined) return undefined;
  if (!state.expired && !force) {
    throw new RemoteLockedError(
      `the remote is locked by ${describeHolder(state)}, and ${describeLease(state)}: it looks alive, so the lock was left in place. Use --force only if that sync is gone (a killed process, a lost machine)`,
      'REMOTE_LOCK_LIVE',
    );
  }
  await remote.remove(LOCK_OWNER);
  await remote.remove(REMOTE_LOCK_DIR).catch(() => undefined);
  return state;
}
