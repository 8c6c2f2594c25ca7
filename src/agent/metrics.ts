/**
 * Prometheus metrics of the agent (prom-client, its own registry). Labels are
 * project ids, directions, phases and results: never a path or an address.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncStatus } from '../report/status.js';
import type { MetricsSink, TransferTally } from './model.js';

export class AgentMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly runs = new Counter({ name: 'arx_sync_runs_total', help: 'Syncs that ended, by project and result (completed, failed, cancelled).', labelNames: ['project', 'result'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'arx_sync_duration_seconds',
    help: 'How long syncs took.',
    labelNames: ['project'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  private readonly files = new Counter({ name: 'arx_files_synced_total', help: 'Files copied, by project and direction (upload, download).', labelNames: ['project', 'direction'], registers: [this.registry] });
  private readonly bytes = new Counter({ name: 'arx_bytes_transferred_total', help: 'Bytes copied, by project and direction (upload, download).', labelNames: ['project', 'direction'], registers: [this.registry] });
  private readonly resolved = new Counter({ name: 'arx_conflicts_resolved_total', help: 'Conflicts settled by a policy during syncs.', labelNames: ['project'], registers: [this.registry] });
  private readonly pending = new Gauge({ name: 'arx_conflicts_pending', help: 'Open conflicts after the last sync.', labelNames: ['project'], registers: [this.registry] });
  private readonly commands = new Counter({ name: 'arx_commands_executed_total', help: 'Chain commands run, by project, phase (pre_sync, post_sync) and result (success, failure, timeout).', labelNames: ['project', 'phase', 'result'], registers: [this.registry] });
  private readonly lastSuccess = new Gauge({ name: 'arx_last_success_timestamp_seconds', help: 'When the last completed sync of the project ended (Unix seconds).', labelNames: ['project'], registers: [this.registry] });
  private readonly webhooks = new Counter({ name: 'arx_webhook_deliveries_total', help: 'Webhook deliveries, by final result (delivered, failed, gave_up, disabled).', labelNames: ['result'], registers: [this.registry] });
  private readonly emails = new Counter({ name: 'arx_email_deliveries_total', help: 'E-mails, by result (delivered, failed).', labelNames: ['result'], registers: [this.registry] });

  constructor() {
    // The process's own: memory, CPU, event loop lag, handles (process_* and nodejs_*).
    // The event loop is sampled once a second: finer sampling costs an idle agent CPU (a timer every 10 ms).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  syncFinished(projectId: string, status: SyncStatus, tally: TransferTally): void {
    const project = projectId;
    this.runs.inc({ project, result: status.status });
    this.duration.observe({ project }, status.duration_ms / 1000);
    this.files.inc({ project, direction: 'upload' }, status.files_uploaded);
    this.files.inc({ project, direction: 'download' }, status.files_downloaded);
    this.bytes.inc({ project, direction: 'upload' }, tally.bytesUp);
    this.bytes.inc({ project, direction: 'download' }, tally.bytesDown);
    this.resolved.inc({ project }, status.conflicts_resolved);
    this.pending.set({ project }, status.conflicts_pending);
    for (const c of status.commands) this.commands.inc({ project, phase: c.phase, result: c.timed_out ? 'timeout' : c.success ? 'success' : 'failure' });
    if (status.status === 'completed' && status.end_time) this.lastSuccess.set({ project }, Math.floor(Date.parse(status.end_time) / 1000));
  }

  conflictsPending(projectId: string, count: number): void {
    this.pending.set({ project: projectId }, count);
  }

  notification(kind: 'webhook' | 'email', result: 'delivered' | 'failed' | 'gave_up' | 'disabled'): void {
    (kind === 'webhook' ? this.webhooks : this.emails).inc({ result });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
