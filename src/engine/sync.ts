/**
 * One sync: scan both sides, reconcile against the base, check safety,
 * execute, record conflicts and history. Returns the status; only errors
 * before the sync starts (configuration, lock) are thrown.
 */
import { join } from 'node:path';
import { PROJECT_FILE, type EffectiveConfig } from '../config/load.js';
import { keepProjectFile } from '../core/anchors.js';
import type { FileEntry } from '../core/entry.js';
import { buildPlan, countPlan, planActions } from '../core/plan.js';
import { reconcile, type Action, type PathState } from '../core/reconcile.js';
import { checkSafety } from '../core/safety.js';
import { planChain, runChain, type ChainEvent, type ChainPhase, type ChainResult } from '../chain/run-chain.js';
import { ArxError, ConfigError, SafetyHaltError } from '../errors.js';
import { statusError, finishStatus, newStatus, newSyncId, saveStatusFile, statusFileExists, type SyncStatus } from '../report/status.js';
import { buildFilter, readArxignore } from '../scan/filter.js';
import { BackupStore, pruneBackups } from '../transfer/backups.js';
import { Executor, type ExecEvent } from '../transfer/execute.js';
import { gather, startScans, type Gathered, type Scans } from './gather.js';
import { resolveByPolicy } from './auto-resolve.js';
import { CONTENT_DIR, keepMergeableContent } from './keep-content.js';
import { ContentStore } from './content-store.js';
import { cleanTemporaries } from './temporaries.js';
import { openSession, type Session } from './session.js';

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
  signal?: AbortSignal;
  onEvent?: (e: SyncEvent) => void;
  clock?: () => Date;
  /** false: skip the pre_sync and post_sync chains (--no-commands). */
  commands?: boolean;
  /** The environment the chains' commands start from (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export function toArxError(err: unknown): ArxError {
  if (err instanceof ArxError) return err;
  return new ArxError('internal', 'INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

export async function runSync(cfg: EffectiveConfig, opts: SyncOptions = {}): Promise<SyncStatus> {
  const clock = opts.clock ?? (() => new Date());
  if (!cfg.sync.enabled) {
    throw new ConfigError(`sync is disabled for this project (sync.enabled is false, set in ${cfg.sources.get('sync.enabled')})`, 'SYNC_DISABLED');
  }
  const start = clock();
  // The remote connects while the pre_sync commands run and the state loads; the scan reports a failure.
  const session = await openSession(cfg, opts.dryRun ? 'sync --dry-run' : 'sync', start, { onNote: (message) => opts.onEvent?.({ type: 'note', message }) }, 'background');
  try {
    const syncId = newSyncId(start, (id) => session.store.syncIdExists(id) || statusFileExists(session.stateDir, id));
    const status = newStatus(syncId, cfg.project.project_id, session.remote.describe(), start, opts.dryRun === true);
    status.warnings.push(...cfg.warnings);
    const persist = async (): Promise<void> => {
      if (opts.dryRun) return;
      const json = JSON.stringify(status);
      session.store.saveSync(session.remoteId, status.sync_id, status.status, status.start_time, json);
      await saveStatusFile(session.stateDir, status);
    };
    const chains = opts.commands !== false;
    // pre_sync commands may change the project, so the scans wait for them; without any they start
    // at once, beside the rest of the start-up.
    const preSync = chains && !opts.dryRun && cfg.commands.pre_sync.length > 0;
    const early = preSync ? undefined : failureOr(() => beginScans(session, clock));
    await markInterrupted(session);
    await persist();
    const chain = (phase: ChainPhase): Promise<ChainResult> =>
      runChain(phase, cfg.commands[phase], {
        projectRoot: cfg.projectRoot,
        projectId: cfg.project.project_id,
        syncId,
        env: opts.env ?? process.env,
        signal: opts.signal,
        onEvent: opts.onEvent,
      }).then((r) => absorbChain(status, r));
    if (opts.dryRun && chains) status.planned_commands = [...planChain('pre_sync', cfg.commands.pre_sync), ...planChain('post_sync', cfg.commands.post_sync)];
    // A required pre_sync command that fails stops the sync before anything is scanned or moved.
    const go = !chains || opts.dryRun || (await chain('pre_sync')).failure === undefined;
    if (go) {
      try {
        await syncBody(session, status, opts, clock, early);
      } catch (err) {
        const e = toArxError(err);
        if (e.category === 'cancelled') status.status = 'cancelled';
        status.errors.push(statusError(e));
      }
      if (chains && !opts.dryRun && cfg.commands.post_sync.length > 0) {
        if (status.errors.length === 0 && status.status === 'running') {
          await persist(); // the commands may read what this sync did (.arx/syncs/<sync_id>.json)
          await chain('post_sync');
        } else status.warnings.push('the post_sync commands were not run because the sync did not complete');
      }
    }
    finishStatus(status, clock());
    opts.onEvent?.({ type: 'phase', phase: 'finish', message: `sync ${status.status}` });
    await persist();
    return status;
  } finally {
    await session.close();
  }
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


/** Start scanning both sides (see startScans). */
function beginScans(session: Session, clock: () => Date): Scans {
  const { cfg } = session;
  const filter = buildFilter({
    arxignore: readArxignore(cfg.projectRoot),
    include: cfg.sync.include_patterns,
    exclude: cfg.sync.exclude_patterns,
    maxFileSize: cfg.sync.max_file_size,
  });
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

/** `early`: the scans, when they began before the pre_sync commands (there were none). */
async function syncBody(session: Session, status: SyncStatus, opts: SyncOptions, clock: () => Date, early: Scans | { failure: unknown } | undefined): Promise<void> {
  const { cfg, store, remote, remoteId } = session;
  const emit = opts.onEvent ?? (() => undefined);
  emit({ type: 'phase', phase: 'scan', message: `scanning ${cfg.projectRoot} and ${remote.describe()}` });
  if (early !== undefined && 'failure' in early) throw early.failure;
  const scans = early ?? beginScans(session, clock);
  const scanTime = scans.time;
  const g = await gather(session, scans, { parallel: cfg.sync.parallel });
  throwIfCancelled(opts.signal);
  const { states } = g;
  reportSkipped(status, g.local, g.remote);
  status.warnings.push(...g.warnings);

  emit({ type: 'phase', phase: 'plan', message: 'comparing both sides with the last sync' });
  const actions = keepProjectFile(reconcile(states.values()).actions, PROJECT_FILE);
  const plan = buildPlan(actions);
  if (!opts.dryRun) saveStatCache(store, states, g.local, actions);

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
    if (halt) throw new SafetyHaltError(halt.message, `SAFETY_${halt.code}`);
  }

  const content = new ContentStore(join(session.stateDir, CONTENT_DIR));
  const backups = new BackupStore(cfg.projectRoot, status.sync_id, session.local);
  if (opts.dryRun) {
    // Each conflict's decision replaces its plain "conflict" line.
    const decided = await resolveByPolicy(session, plan.conflicts, states, { backups, content, now: clock(), dryRun: true });
    status.plan = [...planActions(plan).filter((a) => a.type !== 'conflict').map(describeAction), ...decided.decisions];
    status.conflicts = decided.open;
    status.conflicts_pending = decided.open.length;
    const c = countPlan(plan);
    status.files_uploaded = c.uploads;
    status.files_downloaded = c.downloads;
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
  }).run(plan);

  // Conflicts are settled by policy once the rest is in place (not after an abort).
  if (!result.aborted) {
    if (plan.conflicts.length > 0) emit({ type: 'phase', phase: 'plan', message: `settling ${plan.conflicts.length} ${plan.conflicts.length === 1 ? 'conflict' : 'conflicts'} by policy` });
    const settled = await resolveByPolicy(session, plan.conflicts, states, { backups, content, now: clock(), dryRun: false });
    status.resolved = settled.resolved;
    status.conflicts_resolved = settled.resolved.length;
    status.conflicts = settled.open;
    status.conflicts_pending = settled.open.length;
  }
  const open = new Set(status.conflicts.map((c) => c.path));
  const detected = clock().toISOString();
  store.replaceConflicts(
    remoteId,
    plan.conflicts
      .filter((a) => open.has(a.path))
      .map((a) => ({
        path: a.path,
        kind: a.conflict!,
        reason: a.reason,
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
  status.bytes_transferred = result.bytes;
  status.backups = backups.kept.map((k) => ({ path: k.path, side: k.side, location: `.arx/backups/${backups.setId}/${k.stored}` }));
  for (const s of result.skipped) status.warnings.push(s.message);
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

function reportSkipped(status: SyncStatus, local: Gathered['local'], remote: Gathered['remote']): void {
  const tooLarge = new Set([...local.tooLarge, ...remote.tooLarge]).size;
  if (tooLarge > 0) status.warnings.push(`${tooLarge} ${tooLarge === 1 ? 'file was' : 'files were'} excluded due to size limits (sync.max_file_size)`);
  const special = local.special.length + remote.special.length;
  if (special > 0) status.warnings.push(`${special} symbolic links or special files were skipped`);
  for (const p of local.unreadable) status.warnings.push(`could not read ${p} in the project folder; it was left alone`);
  for (const p of remote.unreadable) status.warnings.push(`could not read ${p} on the remote; it was left alone`);
}




