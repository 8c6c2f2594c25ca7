/**
 * After a sync (of the agent or of `arx sync`): the spec's `sync_complete`
 * message to every configured webhook, and an e-mail to every configured
 * address for the outcomes in `notifications.email_on` (default failure and
 * conflict). A notification that fails is reported, never a failed sync.
 */
import type { EffectiveConfig, NotificationsConfig } from '../config/load.js';
import type { SyncStatus } from '../report/status.js';
import { deliverWebhook } from './deliver.js';
import { sendMail, smtpOf } from './email.js';
import { DEFAULT_CHANNEL, notifyTimeoutMs } from './channels.js';
import { webhookSecret } from './signing.js';
import { redactWebhookUrl } from '../util/redact.js';

export type Outcome = 'success' | 'failure' | 'conflict' | 'cancelled';
export const DEFAULT_EMAIL_ON: Outcome[] = ['failure', 'conflict'];

export function outcomeOf(status: SyncStatus): Outcome {
  if (status.status === 'failed') return 'failure';
  if (status.status === 'cancelled') return 'cancelled';
  return status.conflicts_pending > 0 ? 'conflict' : 'success';
}

export function completionPayload(cfg: EffectiveConfig, status: SyncStatus) {
  return {
    event: 'sync_complete',
    project_id: cfg.project.project_id,
    project_name: cfg.project.name ?? null,
    sync_id: status.sync_id,
    status: status.status,
    outcome: outcomeOf(status),
    timestamp: status.end_time ?? new Date().toISOString(),
    duration_ms: status.duration_ms,
    files_synced: status.files_synced,
    files_uploaded: status.files_uploaded,
    files_downloaded: status.files_downloaded,
    files_deleted: status.files_deleted,
    bytes_transferred: status.bytes_transferred,
    conflicts_resolved: status.conflicts_resolved,
    conflicts_pending: status.conflicts_pending,
    errors: status.errors.map((e) => ({ code: e.code, message: e.message })),
  };
}

const OUTCOME_WORDS: Record<Outcome, string> = { success: 'synced', failure: 'sync failed', conflict: 'conflicts to resolve', cancelled: 'sync cancelled' };

export function completionSubject(cfg: EffectiveConfig, status: SyncStatus): string {
  const project = cfg.project.name ? `${cfg.project.name} (${cfg.project.project_id})` : cfg.project.project_id;
  return `arx: ${project}: ${OUTCOME_WORDS[outcomeOf(status)]}`;
}

export function completionText(cfg: EffectiveConfig, status: SyncStatus): string {
  const lines = [
    `${completionSubject(cfg, status).slice('arx: '.length)} (${status.sync_id}, ${status.status})`,
    `${status.files_uploaded} uploaded, ${status.files_downloaded} downloaded, ${status.files_deleted} deleted, ${status.bytes_transferred} bytes, ${status.conflicts_pending} conflicts pending, in ${(status.duration_ms / 1000).toFixed(1)} s`,
  ];
  for (const c of status.conflicts.slice(0, 10)) lines.push(`conflict: ${c.path} (${c.reason || c.kind})`);
  if (status.conflicts.length > 10) lines.push(`and ${status.conflicts.length - 10} more conflicts`);
  for (const e of status.errors.slice(0, 5)) lines.push(`error: ${e.message}`);
  return lines.join('\n');
}

export interface Target {
  channel: string;
  kind: 'webhook' | 'email';
  to: string;
}

/** A target as messages name it; a webhook's URL shown as redactWebhookUrl shows it. */
export function describeTarget(t: Target): string {
  return t.kind === 'webhook' ? `the webhook of channel "${t.channel}" (${redactWebhookUrl(t.to)})` : `e-mail to ${t.to} (channel "${t.channel}")`;
}

export function completionTargets(n: NotificationsConfig): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  const add = (channel: string, kind: Target['kind'], to: string | undefined) => {
    if (!to || seen.has(`${kind} ${to}`)) return;
    seen.add(`${kind} ${to}`);
    out.push({ channel, kind, to });
  };
  add(DEFAULT_CHANNEL, 'webhook', n.webhook);
  add(DEFAULT_CHANNEL, 'email', n.email);
  for (const [name, c] of Object.entries(n.channels ?? {})) {
    add(name, 'webhook', c.webhook);
    add(name, 'email', c.email);
  }
  return out;
}

export interface NotifyResult {
  target: Target;
  ok: boolean;
  /** Why it failed or was not sent. */
  reason?: string;
  attempts?: number;
  gone?: boolean;
}

export interface NotifyOptions {
  env: NodeJS.ProcessEnv;
  /** Webhook attempts in all. */
  attempts: number;
  signal?: AbortSignal;
  onRetry?(target: Target, attempt: number, delayMs: number, reason: string): void;
}

export async function sendCompletion(cfg: EffectiveConfig, status: SyncStatus, o: NotifyOptions): Promise<NotifyResult[]> {
  if (status.dry_run) return [];
  const n = cfg.notifications;
  const timeoutMs = notifyTimeoutMs(n);
  const targets = completionTargets(n);
  const payload = completionPayload(cfg, status);
  const text = completionText(cfg, status);
  const emailOn = n.email_on ?? DEFAULT_EMAIL_ON;
  const secret = webhookSecret(o.env);
  const mailTo = targets.filter((t) => t.kind === 'email');
  const results: Promise<NotifyResult>[] = targets
    .filter((t) => t.kind === 'webhook')
    .map(async (target) => {
      try {
        const r = await deliverWebhook(target.to, payload, text, {
          channel: target.channel,
          timeoutMs,
          attempts: o.attempts,
          ...(secret ? { secret } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          onRetry: (attempt, delay, reason) => o.onRetry?.(target, attempt, delay, reason),
        });
        return r.ok ? { target, ok: true, attempts: r.attempts } : { target, ok: false, reason: r.reason, attempts: r.attempts, gone: r.gone };
      } catch (err) {
        return { target, ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    });
  if (mailTo.length > 0 && emailOn.includes(outcomeOf(status))) {
    const target: Target = { channel: mailTo.map((t) => t.channel).join(', '), kind: 'email', to: mailTo.map((t) => t.to).join(', ') };
    results.push(
      (async (): Promise<NotifyResult> => {
        try {
          await sendMail(smtpOf(n), { to: mailTo.map((t) => t.to), subject: completionSubject(cfg, status), text }, o.env, timeoutMs);
          return { target, ok: true };
        } catch (err) {
          return { target, ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
      })(),
    );
  }
  return Promise.all(results);
}
