/**
 * What a notification says. Inside a command chain (ARX_SYNC_ID set) it
 * carries what that sync did, read from its status file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EffectiveConfig } from '../config/load.js';
import type { SyncStatus } from '../report/status.js';
import { syncsDir } from '../report/status.js';
import { stateDirOf } from '../engine/session.js';

export interface SyncSummary {
  sync_id: string;
  status: string;
  files_uploaded: number;
  files_downloaded: number;
  files_deleted: number;
  conflicts_pending: number;
}

export interface NotificationPayload {
  /** The message (also as `text`, which chat webhooks such as Slack's display). */
  text: string;
  message: string;
  channel: string;
  project_id: string;
  project_name: string | null;
  phase: string | null;
  sync: SyncSummary | null;
  sent_at: string;
}

function readSync(cfg: EffectiveConfig, syncId: string | undefined): SyncSummary | null {
  if (!syncId || !/^sync_[0-9_]+$/.test(syncId)) return null;
  try {
    const s = JSON.parse(readFileSync(join(syncsDir(stateDirOf(cfg.projectRoot)), `${syncId}.json`), 'utf8')) as SyncStatus;
    return {
      sync_id: s.sync_id,
      status: s.status,
      files_uploaded: s.files_uploaded,
      files_downloaded: s.files_downloaded,
      files_deleted: s.files_deleted,
      conflicts_pending: s.conflicts_pending,
    };
  } catch {
    return null;
  }
}

export function buildNotification(cfg: EffectiveConfig, channel: string, message: string | undefined, env: NodeJS.ProcessEnv, now: Date): NotificationPayload {
  const project = cfg.project.name ? `${cfg.project.name} (${cfg.project.project_id})` : cfg.project.project_id;
  const sync = readSync(cfg, env.ARX_SYNC_ID);
  const text =
    message ??
    (sync
      ? `${project}: ${sync.sync_id} synced: ${sync.files_uploaded} uploaded, ${sync.files_downloaded} downloaded, ${sync.files_deleted} deleted, ${sync.conflicts_pending} conflicts pending`
      : `${project}: message from arx`);
  return {
    text,
    message: text,
    channel,
    project_id: cfg.project.project_id,
    project_name: cfg.project.name ?? null,
    phase: env.ARX_PHASE ?? null,
    sync,
    sent_at: now.toISOString(),
  };
}
