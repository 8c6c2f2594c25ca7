/**
 * One sync: scan both sides, reconcile against the base, check safety,
 * execute, record conflicts and history. Returns the status; only errors
 * before the sync starts (configuration, lock) are thrown.
 */
import { join } from 'node:path';
import { PROJECT_FILE, type EffectiveConfig } from '../config/load.js';
import { keepProjectFile } from '../core/anchors.js';
import type { Entry, FileEntry } from '../core/entry.js';
import { buildPlan, countPlan, planActions } from '../core/plan.js';
import { reconcile, type Action, type PathState } from '../core/reconcile.js';
import { checkSafety } from '../core/safety.js';
import { choosePolicy } from '../core/conflict.js';
import { planChain, runChain, type ChainEvent, type ChainPhase, type ChainResult } from '../chain/run-chain.js';
import { needsApproval, summarizeUnapproved, type ChainApproval } from '../chain/approval.js';
import { chainApprovals } from '../chain/trust-store.js';
import { ArxError, ConfigError, SafetyHaltError, unexpectedToArx } from '../errors.js';
import { statusError, finishStatus, newStatus, redactStatus, showPaths, newSyncId, SYNC_ID, saveStatusFile, statusFileExists, type SyncStatus } from '../report/status.js';
import { showPath } from '../util/path-bytes.js';
import { formatBytes } from '../report/format.js';
import { namePaths, SkippedPaths } from '../report/skipped.js';
import { buildFilter } from '../scan/filter.js';
import { BackupStore, pruneBackups } from '../transfer/backups.js';
import { Executor, type ExecEvent } from '../transfer/execute.js';
import { gather, startScans, type Gathered, type Scans } from './gather.js';
import { arrivalCheck, keepRefused, wouldRefuse } from './arrivals.js';
import { policySettings, resolveByPolicy } from './auto-resolve.js';
import { filterSettingsOf } from './filter-settings.js';
import { CONTENT_DIR, keepMergeableContent } from './keep-content.js';
import { ContentStore } from './content-store.js';
import { cleanTemporaries } from './temporaries.js';
import { openSession, type Session } from './session.js';
import { heldLockWarning, lockSessionRemote, type RemoteLockHandle } from './remote-lock.js';

/** The kind of conflict a refused arrival becomes (see arrivals.ts). */
export const REFUSED_KIND = 'remote-version-refused';

export type SyncPhase = 'scan' | 'plan' | 'transfer' | 'finish';

export type SyncEvent =
  | { type: 'phase'; phase: SyncPhase; message: string }
  | { type: 'plan'; files: number; bytes: number }
  | { type: 'note'; message: string }
  | ChainEvent
  | ExecEvent;

export interface SyncOptions {
  dryRun?: boolean;
  force?: boolean;
  /** Aborted before the sync starts: it returns cancelled at once, having written nothing to the remote. */
  signal?: AbortSignal;
  /** Every event of this sync, with the sync's id (several syncs may run in one process). */
  onEvent?: (e: SyncEvent, syncId: string) => void;
  clock?: () => Date;
  /** false: skip the pre_sync and post_sync chains (--no-commands). */
  commands?: boolean;
  /** The environment the chains' commands start from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * Patterns were added for this run only (--include / --exclude): synced paths
   * they leave out are left alone, not forgotten as no longer included.
   */
  narrowed?: boolean;
  /**
   * The id this sync's status will carry, chosen by the caller beforehand (the agent answers
   * a sync request with it before the sync starts). Refused when the project has used it.
   */
  syncId?: string;
  /** Frees the buffers of copied files now (the CLI forces a collection); absent: left to the runtime. */
  releaseMemory?: () => void;
}

/** `stateDir`: the project's state folder, where a full disk is most likely met. */
export function toArxError(err: unknown, stateDir?: string): ArxError {
  return unexpectedToArx(err, stateDir === undefined ? undefined : { what: `writing the project's state in ${stateDir}`, dir: stateDir });
}

export async function runSync(cfg: EffectiveConfig, opts: SyncOptions = {}): Promise<SyncStatus> {
  const clock = opts.clock ?? (() => new Date());
  if (!cfg.sync.enabled) {
    throw new ConfigError(`sync is disabled for this project (sync.enabled is false, set in ${cfg.sources.get('sync.enabled')})`, 'SYNC_DISABLED');
  }
  // Patterns of the configuration are checked before anything starts (a bad one is a ConfigError).
  buildFilter(filterSettingsOf(cfg, false, []));
  policySettings(cfg);
  const start = clock();
  // The remote connects while the pre_sync commands run and the state loads; the scan reports a failure.
  // Warnings from the connection (it may come and go): each once, in the status.
  const remoteWarnings = new Set<string>();
  // The id is chosen once the state is open: notes before that wait for it.
  let emit: ((e: SyncEvent) => void) | undefined;
  const beforeId: SyncEvent[] = [];
  const hooks = {
    onNote: (message: string) => (emit ? emit({ type: 'note', message }) : beforeId.push({ type: 'note', message })),
    onWarning: (message: string) => void remoteWarnings.add(message),
  };
  const session = await openSession(cfg, opts.dryRun ? 'sync --dry-run' : 'sync', start, hooks, 'background');
  let remoteLock: RemoteLockHandle | undefined;
  try {
    const taken = (id: string): boolean => session.store.syncIdExists(id) || statusFileExists(session.stateDir, id);
    const syncId = opts.syncId ?? newSyncId(start, taken);
    if (opts.syncId !== undefined && (!SYNC_ID.test(opts.syncId) || taken(opts.syncId))) {
      throw new ArxError('usage', 'SYNC_ID_TAKEN', `sync id ${JSON.stringify(opts.syncId)} is not a new sync id of this project (expected sync_YYYYMMDD_HHMMSS[_N], not used before)`);
    }
    const onEvent = opts.onEvent;
    const report = (emit = onEvent ? (e: SyncEvent) => onEvent(e, syncId) : () => undefined);
    for (const e of beforeId.splice(0)) report(e);
    // Cancelled before it began: nothing is locked, run, scanned or written on the remote.
    const cancelledAtStart = opts.signal?.aborted === true;
    // Writes to the remote happen under its lock, taken before the listing (a dry run takes none).
    remoteLock = opts.dryRun || cancelledAtStart ? undefined : lockSessionRemote(session, syncId, 'sync', hooks.onNote);
    const status = newStatus(syncId, cfg.project.project_id, session.remote.describe(), start, opts.dryRun === true);
    status.warnings.push(...cfg.warnings);
    const persist = async (): Promise<void> => {
      if (opts.dryRun) return;
      const shown = redactStatus(showPaths(status));
      try {
        session.store.saveSync(session.remoteId, status.sync_id, status.status, status.start_time, JSON.stringify(shown));
        await saveStatusFile(session.stateDir, shown);
      } catch (err) {
        throw toArxError(err, session.stateDir);
      }
    };
    const chains = opts.commands !== false;
    const env = opts.env ?? process.env;
    // Only chains the local user approved run; a required command among the others stops the sync.
    const approvals = chains ? chainApprovals(cfg.projectRoot, cfg.project.project_id, cfg.commands, env) : [];
    const blocked = absorbApprovals(status, approvals);
    const runnable = (phase: ChainPhase) => (approvals.some((a) => a.phase === phase && needsApproval(a)) ? [] : cfg.commands[phase]);
    // pre_sync commands may change the project, so the scans wait for them; without any they start
    // at once, beside the rest of the start-up.
    const preSync = chains && !opts.dryRun && runnable('pre_sync').length > 0;
    const early = cancelledAtStart || preSync || (blocked && !opts.dryRun) ? undefined : failureOr(() => beginScans(session, status, clock));
    await markInterrupted(session);
    await persist();
    const chain = (phase: ChainPhase): Promise<ChainResult> =>
      runChain(phase, runnable(phase), {
        projectRoot: cfg.projectRoot,
        projectId: cfg.project.project_id,
        syncId,
        env,
        signal: opts.signal,
        onEvent: report,
      }).then((r) => absorbChain(status, r));
    if (opts.dryRun && chains) {
      status.planned_commands = approvals.flatMap((a) => planChain(a.phase, cfg.commands[a.phase]).map((c) => ({ ...c, approved: !needsApproval(a) })));
    }
    // A required pre_sync command that fails stops the sync before anything is scanned or moved.
    if (cancelledAtStart) {
      status.status = 'cancelled';
      status.errors.push(statusError(new ArxError('cancelled', 'CANCELLED', 'sync was cancelled before it started')));
    }
    const go = !cancelledAtStart && (opts.dryRun || (!blocked && (!chains || (await chain('pre_sync')).failure === undefined)));
    if (go) {
      try {
        await syncBody(session, status, opts, clock, early, report);
      } catch (err) {
        const e = toArxError(err, session.stateDir);
        if (e.category === 'cancelled') status.status = 'cancelled';
        status.errors.push(statusError(e));
      }
      await remoteLock?.release(); // after the last write to the remote; post_sync runs without it
      if (opts.dryRun) {
        const held = await heldLockWarning(session.remote);
        if (held !== undefined) status.warnings.push(held);
      }
      if (chains && !opts.dryRun && runnable('post_sync').length > 0) {
        if (status.errors.length === 0 && status.status === 'running') {
          await persist(); // the commands may read what this sync did (.arx/syncs/<sync_id>.json)
          await chain('post_sync');
        } else status.warnings.push('the post_sync commands were not run because the sync did not complete');
      }
    }
    status.warnings.push(...remoteWarnings);
    finishStatus(status, clock());
    report({ type: 'phase', phase: 'finish', message: `sync ${status.status}` });
    await persist();
    return redactStatus(showPaths(status));
  } finally {
    await remoteLock?.release();
    await session.close();
  }
}

/**
 * Chains the user has not approved: their commands are listed as skipped, and
 * an error (when one of them is required: true is returned) or a warning says
 * what changed and how to approve.
 */
function absorbApprovals(status: SyncStatus, approvals: readonly ChainApproval[]): boolean {
  const unapproved = approvals.filter(needsApproval);
  if (unapproved.length === 0) return false;
  status.commands_skipped = unapproved.flatMap((a) => a.commands.map((c) => ({ name: c.name, phase: c.phase, command: c.command, required: c.required, reason: 'not-approved' as const })));
  const what = summarizeUnapproved(unapproved);
  const blocked = unapproved.some((a) => a.commands.some((c) => c.required));
  if (blocked) {
    status.errors.push(
      statusError(
        new ArxError(
          'untrusted',
          'CHAINS_NOT_APPROVED',
          `command chains not approved on this machine: ${what}; they hold a required command, so nothing was run or synced. Review and approve them with \`arx trust\` (or sync without them: \`arx sync --no-commands\`)`,
        ),
      ),
    );
  } else status.warnings.push(`command chains not approved on this machine were skipped: ${what}; none of their commands is required, so the sync went on. Review and approve them with \`arx trust\``);
  return blocked;
}

/** A chain's reports, warnings and failure go into the status. */
function absorbChain(status: SyncStatus, r: ChainResult): ChainResult {
  status.commands.push(...r.reports);
  status.commands_executed = status.commands.length;
  status.warnings.push(...r.warnings);
  if (r.failure) {
    if (r.failure.category === 'cancelled') status.status = 'cancelled';
    status.errors.push(statusError(r.failure));
  }
  return r;
}

/** Syncs left "running" by a killed process are recorded as failed. */
async function markInterrupted(session: Session): Promise<void> {
  for (const row of session.store.listRunning()) {
    const status = JSON.parse(row.status_json) as SyncStatus;
    status.status = 'failed';
    status.errors.push({ type: 'internal', code: 'INTERRUPTED', message: 'the sync was interrupted before it finished (the process ended)' });
    session.store.saveSync(session.remoteId, status.sync_id, status.status, status.start_time, JSON.stringify(status));
    await saveStatusFile(session.stateDir, status);
  }
}


/** Start scanning both sides (see startScans); `.arxignore` lines left out are warnings of the sync. */
function beginScans(session: Session, status: SyncStatus, clock: () => Date): Scans {
  const filter = buildFilter(filterSettingsOf(session.cfg));
  status.warnings.push(...filter.warnings);
  return startScans(session, filter, clock().getTime());
}

/** The value, or what it threw (reported where the value is used). */
function failureOr<T>(make: () => T): T | { failure: unknown } {
  try {
    return make();
  } catch (failure) {
    return { failure };
  }
}

/** `early`: the scans, when they began before the pre_sync commands (there were none); `emit`: this sync's events. */
async function syncBody(
  session: Session,
  status: SyncStatus,
  opts: SyncOptions,
  clock: () => Date,
  early: Scans | { failure: unknown } | undefined,
  emit: (e: SyncEvent) => void,
): Promise<void> {
  const { cfg, store, remote, remoteId } = session;
  emit({ type: 'phase', phase: 'scan', message: `scanning ${cfg.projectRoot} and ${remote.describe()}` });
  if (early !== undefined && 'failure' in early) throw early.failure;
  const scans = early ?? beginScans(session, status, clock);
  const scanTime = scans.time;
  const g = await gather(session, scans, { parallel: cfg.sync.parallel, narrowed: opts.narrowed });
  throwIfCancelled(opts.signal);
  const { states } = g;
  reportSkipped(status, g, cfg.sync.max_file_size);
  reportReplacedBySpecial(status, g);

  emit({ type: 'phase', phase: 'plan', message: 'comparing both sides with the last sync' });
  const actions = keepProjectFile(reconcile(states.values()).actions, PROJECT_FILE);
  const plan = buildPlan(actions);
  if (!opts.dryRun) saveStatCache(store, states, g.local, actions);

  const outside = actions.filter((a) => a.type === 'forget' && states.get(a.path)?.outside === true).map((a) => a.path);
  if (outside.length > 0) {
    status.warnings.push(`${namePaths(outside)} ${outside.length === 1 ? 'is' : 'are'} no longer included (the patterns changed) and left the sync; ${outside.length === 1 ? 'it stays' : 'they stay'} as ${outside.length === 1 ? 'it is' : 'they are'} on both sides`);
  }
  status.conflicts = plan.conflicts.map((a) => ({ path: a.path, kind: a.conflict!, reason: a.reason }));
  status.conflicts_pending = plan.conflicts.length;

  if (!opts.force) {
    const halt = checkSafety({
      ...g.counts,
      remoteRootExists: g.remoteExists,
      actions,
      maxDeletePercent: cfg.sync.max_delete_percent,
      describe: { local: `the project folder ${cfg.projectRoot}`, remote: `the remote (${remote.describe()})` },
    });
    if (halt) {
      const error = new SafetyHaltError(halt.message, `SAFETY_${halt.code}`);
      // A dry run shows the whole plan, and the halt a real sync would stop at.
      if (!opts.dryRun) throw error;
      status.errors.push(statusError(error));
    }
  }

  const content = new ContentStore(join(session.stateDir, CONTENT_DIR));
  const backups = new BackupStore(cfg.projectRoot, status.sync_id, session.local);
  if (opts.dryRun) {
    // Each conflict's decision replaces its plain "conflict" line.
    const decided = await resolveByPolicy(session, plan.conflicts, states, { backups, content, now: clock(), dryRun: true });
    const refused = new Map((await wouldRefuse(remote, planActions(plan), (p) => sizeOf(states.get(p), { to: 'local' } as Action))).map((e) => [e.path, e.message]));
    const shown = (a: Action) => (refused.has(a.path) ? { path: a.path, action: 'conflict', reason: refused.get(a.path)! } : describeAction(a));
    status.plan = [...planActions(plan).filter((a) => a.type !== 'conflict').map(shown), ...decided.decisions];
    status.conflicts = [...decided.open, ...[...refused].map(([path, reason]) => ({ path, kind: REFUSED_KIND, reason }))];
    status.conflicts_pending = status.conflicts.length;
    const c = countPlan(plan);
    status.files_uploaded = c.uploads;
    status.files_downloaded = c.downloads - refused.size; // a refused version would not be downloaded
    status.files_deleted = c.deletes;
    return;
  }

  // Changes start here, after the safety checks.
  await cleanTemporaries(session, g.local.temporaries, g.remote.temporaries, clock().getTime());
  if (!g.remoteExists) await remote.createRoot();
  const transfers = [...plan.copies, ...plan.replacements];
  emit({ type: 'plan', files: planActions(plan).length - plan.conflicts.length - plan.records.length, bytes: transfers.reduce((n, a) => n + sizeOf(states.get(a.path), a), 0) });
  emit({ type: 'phase', phase: 'transfer', message: 'transferring' });
  const result = await new Executor({
    sides: { local: session.local, remote },
    scanned: { local: { get: (p) => states.get(p)?.local }, remote: { get: (p) => states.get(p)?.remote } },
    store,
    remoteId,
    backups: cfg.sync.auto_backup ? backups : undefined,
    scanTime,
    parallel: cfg.sync.parallel,
    signal: opts.signal,
    onEvent: emit,
    arrivals: arrivalCheck,
    releaseMemory: opts.releaseMemory,
  }).run(plan);

  // Conflicts are settled by policy once the rest is in place (not after an abort).
  if (!result.aborted) {
    const settings = policySettings(cfg);
    const byPolicy = plan.conflicts.filter((a) => choosePolicy(a.path, settings).policy !== 'manual').length;
    if (byPolicy > 0) emit({ type: 'phase', phase: 'plan', message: `settling ${byPolicy} ${byPolicy === 1 ? 'conflict' : 'conflicts'} by policy` });
    const settled = await resolveByPolicy(session, plan.conflicts, states, { backups, content, now: clock(), dryRun: false, releaseMemory: opts.releaseMemory });
    status.resolved = settled.resolved;
    status.conflicts_resolved = settled.resolved.length;
    status.conflicts = settled.open;
    status.conflicts_pending = settled.open.length;
  }
  // A refused remote version is an open conflict: the local file stays, the remote one is kept aside
  // (once: a version already refused by an earlier sync, still the same, is not kept again).
  const refusedBefore = new Map(store.listConflicts(remoteId).filter((c) => c.kind === REFUSED_KIND).map((c) => [c.path, c.remote]));
  for (const err of result.refused) {
    if (sameEntry(refusedBefore.get(err.path), states.get(err.path)?.remote)) {
      status.conflicts.push({ path: err.path, kind: REFUSED_KIND, reason: err.message });
      continue;
    }
    await keepRefused(backups, remote, err).catch((e: unknown) => status.warnings.push(`${err.path}: the refused remote version could not be kept aside (${e instanceof Error ? e.message : String(e)})`));
    status.conflicts.push({ path: err.path, kind: REFUSED_KIND, reason: err.message });
  }
  status.conflicts_pending = status.conflicts.length;
  // Recorded with the reason the status gives (why a policy left it open, clashing JSON paths included).
  const open = new Map(status.conflicts.map((c) => [c.path, c.reason]));
  const detected = clock().toISOString();
  store.replaceConflicts(
    remoteId,
    [...plan.conflicts.filter((a) => open.has(a.path)), ...result.refused.map((e) => ({ path: e.path, conflict: REFUSED_KIND, reason: e.message }))].map((a) => ({
      path: a.path,
      kind: a.conflict!,
      reason: open.get(a.path) ?? a.reason,
      sync_id: status.sync_id,
      detected_at: detected,
      local: states.get(a.path)?.local ?? null,
      remote: states.get(a.path)?.remote ?? null,
    })),
  );
  keepMergeableContent(session, states, g.base, content);
  store.saveBaseSnapshot(remoteId, g.base, g.localOrder);
  if (status.errors.length === 0 && !result.aborted) {
    pruneBackups(cfg.projectRoot, cfg.sync.backup_retention_days, clock().getTime());
  }
  status.files_uploaded = result.uploaded;
  status.files_downloaded = result.downloaded;
  status.files_deleted = result.deleted;
  status.folders_created = result.foldersCreated;
  status.folders_deleted = result.foldersDeleted;
  status.bytes_transferred = result.bytes;
  status.backups = backups.kept.map((k) => ({ path: k.path, side: k.side, location: `.arx/backups/${backups.setId}/${k.stored}` }));
  for (const s of result.skipped) status.warnings.push(s.message);
  reportUnstorable(status, result.unstorable);
  for (const f of result.failed) status.errors.push(statusError(f.error, f.path));
  if (result.aborted) {
    if (result.aborted.category === 'cancelled') status.status = 'cancelled';
    if (!result.failed.some((f) => f.error === result.aborted)) status.errors.push(statusError(result.aborted));
  }
}

/**
 * Remember new hashes of local files, except where this sync's base will
 * vouch for them anyway (uploads and records store the same stat).
 */
function saveStatCache(store: Session['store'], states: Gathered['states'], local: Gathered['local'], actions: readonly Action[]): void {
  const vouched = new Set<string>();
  for (const a of actions) if (a.type === 'record' || (a.type === 'copy' && a.to === 'remote')) vouched.add(a.path);
  store.transaction(() => {
    for (const p of local.statUpdates) {
      const e = states.get(p)?.local as (FileEntry & { ctimeMs?: number; ino?: number }) | undefined;
      if (vouched.has(p) || e?.kind !== 'file' || e.hash === undefined) continue;
      store.putStat(p, { size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs ?? 0, ino: e.ino ?? 0, hash: e.hash });
    }
    for (const p of local.statRemovals) store.deleteStat(p);
  });
}

/** The same size and modification time (how a remote version is recognised without reading it). */
function sameEntry(recorded: unknown, now: Entry | undefined): boolean {
  const r = recorded as { kind?: unknown; size?: unknown; mtimeMs?: unknown } | null | undefined;
  return r != null && now?.kind === 'file' && r.kind === 'file' && r.size === now.size && r.mtimeMs === now.mtimeMs;
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ArxError('cancelled', 'CANCELLED', 'sync was cancelled');
}

function sizeOf(s: PathState | undefined, a: Action): number {
  const src = a.to === 'remote' ? s?.local : s?.remote;
  return src?.kind === 'file' ? src.size : 0;
}

function describeAction(a: Action): { path: string; action: string; reason: string } {
  const action =
    a.type === 'copy' ? (a.to === 'remote' ? 'upload' : 'download')
    : a.type === 'mkdir' ? `mkdir-${a.to}`
    : a.type === 'delete' ? `delete-${a.to}`
    : a.type;
  return { path: a.path, action, reason: a.reason };
}

/**
 * A synced file or folder that one side replaced by a symbolic link (or a
 * special file) is left alone on both sides: the other side keeps its copy
 * and the base stays, as rsync without -l would. Propagating it as a deletion
 * could delete the real file elsewhere because of a link made by accident.
 */
function reportReplacedBySpecial(status: SyncStatus, g: Gathered): void {
  for (const side of ['local', 'remote'] as const) {
    const where = side === 'local' ? 'in the project folder' : 'on the remote';
    for (const p of [...g[side].links, ...g[side].special]) {
      if (g.base.rowOf(p) === undefined) continue;
      status.warnings.push(`${showPath(p)} was synced, but ${where} it is now a symbolic link or special file: it is left alone on both sides (the other side keeps its copy) until it is a file or folder again, or deleted`);
    }
  }
}

/** Names a side refused to store: one warning per side naming them, and in `skipped`. */
function reportUnstorable(status: SyncStatus, unstorable: readonly { path: string; side: 'local' | 'remote' }[]): void {
  if (unstorable.length === 0) return;
  const skipped = new SkippedPaths();
  for (const side of ['local', 'remote'] as const) skipped.add('name-not-storable', side, unstorable.filter((u) => u.side === side).map((u) => u.path), 'its file system refused them');
  status.warnings.push(...skipped.warnings());
  status.skipped.push(...skipped.list());
}

/** What the scans left out, by path: one warning per kind and side, and the status's `skipped` list. */
function reportSkipped(status: SyncStatus, g: Gathered, maxFileSize: number | undefined): void {
  const skipped = new SkippedPaths();
  const limit = maxFileSize === undefined ? undefined : formatBytes(maxFileSize);
  for (const side of ['local', 'remote'] as const) {
    const p = g[side];
    skipped.add('symlink', side, p.links);
    skipped.add('special', side, p.special);
    skipped.add('too-large', side, p.tooLarge, limit);
    skipped.add('unreadable', side, p.unreadable);
  }
  skipped.add('case-clash', 'local', g.caseClashes.flat());
  status.warnings.push(...skipped.warnings());
  status.skipped = skipped.list();
}
