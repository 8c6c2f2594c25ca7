/**
 * What the agent's HTTP layer may ask of the agent (src/agent/http reads, the
 * agent core answers). The API only starts, pauses and resumes syncs and reads
 * what they did: it never runs commands, edits configuration or approves chains.
 */
import type { SyncStatus } from '../report/status.js';
import type { EventLog } from './events.js';
import type { SyncRequest } from './runner.js';

/** idle: nothing to do; syncing: a sync runs; waiting: backing off after failures; paused: by request; error: its settings do not load. */
export type ProjectState = 'idle' | 'syncing' | 'waiting' | 'paused' | 'error';

export interface LastSync {
  sync_id: string;
  status: SyncStatus['status'];
  end_time: string | null;
}

export interface ProjectView {
  project_id: string;
  name: string | null;
  path: string;
  state: ProjectState;
  last_sync: LastSync | null;
  /** ISO time of the next run on the timer, null when none is due (interval 0, paused). */
  next_run: string | null;
  /** Why the project is in state error or waiting (one line, no secret). */
  problem: string | null;
}

/** The progress of a running sync, as GET /api/v1/syncs/{id} shows it. */
export interface SyncProgress {
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  /** 0..100, by bytes when there are any, else by files. */
  percentage: number;
  current_file: string | null;
}

/** A finished or running sync's status JSON (with `progress` while it runs), or a queued one's id. */
export type SyncView = (SyncStatus & { progress?: SyncProgress }) | { sync_id: string; project_id: string; status: 'queued' };

export interface AgentModel {
  projects(): ProjectView[];
  /** Starts a sync now, or queues exactly one more after the running one (or says why not); undefined: no such project. */
  requestSync(projectId: string): SyncRequest | undefined;
  /** A running sync (with progress) or a finished one of any project; undefined: unknown id. */
  sync(syncId: string): SyncView | undefined;
  /** Newest first, at most `limit`; undefined: no such project. */
  history(projectId: string, limit: number): SyncStatus[] | undefined;
  /** The project's open conflicts as `arx conflicts --json` prints them; undefined: no such project. */
  conflicts(projectId: string): unknown[] | undefined;
  /** false: no such project. */
  pause(projectId: string): boolean;
  resume(projectId: string): boolean;
  readonly events: EventLog;
}

/** Bytes a sync copied each way (the status JSON has only their sum). */
export interface TransferTally {
  bytesUp: number;
  bytesDown: number;
}

/** What the agent core tells the metrics (src/agent/metrics.ts implements it over prom-client). */
export interface MetricsSink {
  /** A sync of `projectId` ended (any status), with its status JSON; durations come from it. */
  syncFinished(projectId: string, status: SyncStatus, tally: TransferTally): void;
  /** The open conflicts of a project, set at start and after each sync. */
  conflictsPending(projectId: string, count: number): void;
  /** One webhook or e-mail delivery attempt's final outcome. */
  notification(kind: 'webhook' | 'email', result: 'delivered' | 'failed' | 'gave_up' | 'disabled'): void;
}
