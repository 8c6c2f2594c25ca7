/** The agent's notifications after each sync: sent, logged and counted; never a failed sync. */
import type { EffectiveConfig } from '../config/load.js';
import { describeTarget, sendCompletion } from '../notify/completion.js';
import type { SyncStatus } from '../report/status.js';
import type { AgentLog } from './log.js';
import type { AgentMetrics } from './metrics.js';

/** Webhook attempts of the agent: it has time to wait (about 1 + 2 + 4 + 8 s between them). */
const AGENT_ATTEMPTS = 5;

export async function notifyCompletion(cfg: EffectiveConfig | undefined, status: SyncStatus, o: { env: NodeJS.ProcessEnv; log: AgentLog; metrics: AgentMetrics; signal?: AbortSignal }): Promise<void> {
  if (!cfg) return;
  const project = cfg.project.project_id;
  const results = await sendCompletion(cfg, status, {
    env: o.env,
    attempts: AGENT_ATTEMPTS,
    ...(o.signal ? { signal: o.signal } : {}),
    onRetry: (t, attempt, delay, reason) => {
      o.log.warn('notify_retry', `${describeTarget(t)} failed (attempt ${attempt}): ${reason}; again in ${(delay / 1000).toFixed(1)} s`, { project, sync_id: status.sync_id, channel: t.channel });
    },
  });
  for (const r of results) {
    const where = describeTarget(r.target);
    const fields = { project, sync_id: status.sync_id, channel: r.target.channel, kind: r.target.kind, ...(r.attempts !== undefined ? { attempts: r.attempts } : {}) };
    o.metrics.notification(r.target.kind, r.ok ? 'delivered' : r.gone ? 'disabled' : r.target.kind === 'webhook' ? 'gave_up' : 'failed');
    if (r.ok) o.log.info('notify', `delivered: ${where}`, fields);
    else o.log.error('notify_failed', `gave up: ${where}: ${r.reason}`, fields);
  }
}
