/**
 * The status JSON of one sync: printed by `arx sync --json`, saved as
 * `.arx/syncs/<sync_id>.json` and in the history table.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandReport, PlannedCommand } from '../chain/run-chain.js';
import type { ArxError, ErrorCategory } from '../errors.js';
import { showPath, showText } from '../util/path-bytes.js';
import { redactText } from '../util/redact.js';
import type { SkippedPath } from './skipped.js';

export type SyncState = 'running' | 'completed' | 'failed' | 'cancelled';

export interface StatusError {
  type: ErrorCategory;
  code: string;
  message: string;
  path?: string;
}

export interface PlannedAction {
  path: string;
  action: string;
  reason: string;
}

export interface ConflictReport {
  path: string;
  kind: string;
  reason: string;
  /** The policy that was tried and why it left the conflict open (automatic policies). */
  policy?: string;
}

/** A conflict a policy settled during the sync. */
export interface ResolvedConflict {
  path: string;
  /** symbol, config, model or other. */
  kind: string;
  policy: string;
  outcome: 'local-won' | 'remote-won' | 'kept-both' | 'merged';
  reason: string;
  /** keep-both: the remote version's new name. */
  conflict_copy?: string;
  /** Where the discarded versions were kept (relative to the project). */
  backups: { side: string; location: string }[];
}

export interface SkippedCommand {
  name: string;
  phase: string;
  command: string;
  required: boolean;
  /** `not-approved`: the chain is new or changed since `arx trust` approved it. */
  reason: 'not-approved';
}

export interface BackupReport {
  path: string;
  side: string;
  location: string;
}

export interface SyncStatus {
  sync_id: string;
  status: SyncState;
  project_id: string;
  remote: string;
  dry_run: boolean;
  start_time: string;
  end_time: string | null;
  duration_ms: number;
  files_synced: number;
  files_uploaded: number;
  files_downloaded: number;
  files_deleted: number;
  folders_created: number;
  folders_deleted: number;
  bytes_transferred: number;
  conflicts_resolved: number;
  conflicts_pending: number;
  conflicts: ConflictReport[];
  resolved: ResolvedConflict[];
  commands_executed: number;
  /** The pre_sync and post_sync commands that ran, in order. */
  commands: CommandReport[];
  /** Commands of chains the local user has not approved (see `arx trust`): none of them ran. */
  commands_skipped: SkippedCommand[];
  /** Only for --dry-run: the commands a real sync would run (`approved` false: it would be skipped). */
  planned_commands?: (PlannedCommand & { approved: boolean })[];
  backups: BackupReport[];
  errors: StatusError[];
  warnings: string[];
  /** Paths the scans left out (links, special files, too large, unreadable, case clashes), at most SKIPPED_IN_STATUS. */
  skipped: SkippedPath[];
  /** Only for --dry-run: what a real sync would do. */
  plan?: PlannedAction[];
}

export function newStatus(syncId: string, projectId: string, remote: string, start: Date, dryRun: boolean): SyncStatus {
  return {
    sync_id: syncId,
    status: 'running',
    project_id: projectId,
    remote,
    dry_run: dryRun,
    start_time: start.toISOString(),
    end_time: null,
    duration_ms: 0,
    files_synced: 0,
    files_uploaded: 0,
    files_downloaded: 0,
    files_deleted: 0,
    folders_created: 0,
    folders_deleted: 0,
    bytes_transferred: 0,
    conflicts_resolved: 0,
    conflicts_pending: 0,
    conflicts: [],
    resolved: [],
    commands_executed: 0,
    commands: [],
    commands_skipped: [],
    backups: [],
    errors: [],
    warnings: [],
    skipped: [],
  };
}

export function statusError(err: ArxError, path?: string): StatusError {
  return path === undefined
    ? { type: err.category, code: err.code, message: err.message }
    : { type: err.category, code: err.code, message: err.message, path };
}

export function finishStatus(status: SyncStatus, end: Date): void {
  status.end_time = end.toISOString();
  status.duration_ms = end.getTime() - Date.parse(status.start_time);
  status.files_synced = status.files_uploaded + status.files_downloaded + status.files_deleted;
  if (status.status === 'running') status.status = status.errors.length > 0 ? 'failed' : 'completed';
}

/**
 * The status as it may be shown or stored: the free texts (error messages,
 * warnings, the commands' output tails) with URLs and secrets masked, and
 * bytes that are not UTF-8 escaped (showText), so the JSON is valid UTF-8.
 * Everything that leaves a sync (the JSON, .arx/syncs/, the history) passes
 * here, after showPaths. (Applying it again changes nothing.)
 */
export function redactStatus(status: SyncStatus): SyncStatus {
  const text = (t: string) => showText(redactText(t));
  return {
    ...status,
    remote: text(status.remote),
    conflicts: status.conflicts.map((c) => ({ ...c, reason: showText(c.reason) })),
    errors: status.errors.map((e) => ({ ...e, message: text(e.message) })),
    warnings: status.warnings.map(text),
    commands: status.commands.map((c) => ({ ...c, command: redactText(c.command), ...(c.output_tail ? { output_tail: c.output_tail.map(redactText) } : {}) })),
    commands_skipped: (status.commands_skipped ?? []).map((c) => ({ ...c, command: redactText(c.command) })),
    ...(status.planned_commands ? { planned_commands: status.planned_commands.map((c) => ({ ...c, command: redactText(c.command) })) } : {}),
    ...(status.plan ? { plan: status.plan.map((a) => ({ ...a, reason: showText(a.reason) })) } : {}),
  };
}

/** The status with every path field shown as output shows paths (showPath). Once, on the status as a sync holds it. */
export function showPaths(status: SyncStatus): SyncStatus {
  return {
    ...status,
    conflicts: status.conflicts.map((c) => ({ ...c, path: showPath(c.path) })),
    resolved: status.resolved.map((r) => ({ ...r, path: showPath(r.path), reason: showText(r.reason), ...(r.conflict_copy ? { conflict_copy: showPath(r.conflict_copy) } : {}), backups: r.backups.map((b) => ({ ...b, location: showPath(b.location) })) })),
    backups: status.backups.map((b) => ({ ...b, path: showPath(b.path), location: showPath(b.location) })),
    errors: status.errors.map((e) => (e.path !== undefined ? { ...e, path: showPath(e.path) } : e)),
    ...(status.plan ? { plan: status.plan.map((a) => ({ ...a, path: showPath(a.path) })) } : {}),
  };
}

/** `sync_YYYYMMDD_HHMMSS` in UTC, with `_2`, `_3`... when that id is taken. */
/** The form of every sync id: sync_YYYYMMDD_HHMMSS, then _N when two start in one second. */
export const SYNC_ID = /^sync_\d{8}_\d{6}(?:_\d{1,6})?$/;

export function newSyncId(now: Date, taken: (id: string) => boolean): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stem = `sync_${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  if (!taken(stem)) return stem;
  for (let i = 2; ; i++) if (!taken(`${stem}_${i}`)) return `${stem}_${i}`;
}

export function syncsDir(stateDir: string): string {
  return join(stateDir, 'syncs');
}

export function statusFileExists(stateDir: string, syncId: string): boolean {
  return existsSync(join(syncsDir(stateDir), `${syncId}.json`));
}

/** Write the status file atomically. */
export async function saveStatusFile(stateDir: string, status: SyncStatus): Promise<string> {
  const dir = syncsDir(stateDir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${status.sync_id}.json`);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(status, null, 2) + '\n');
  await rename(tmp, file);
  return file;
}
