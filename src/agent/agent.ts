/**
 * The agent's core: a runner per project (runner.ts), each syncing through
 * the engine in this process, a watch per project, and what the API reads
 * (AgentModel). A project's failure, slowness or exception stays its own.
 */
import { loadConfig, type EffectiveConfig } from '../config/load.js';
import { runSync } from '../engine/sync.js';
import { openStore, stateDirOf } from '../engine/session.js';
import { ArxError, unexpectedToArx } from '../errors.js';
import { remoteIdOf } from '../remote/factory.js';
import { finishStatus, newStatus, newSyncId, redactStatus, statusError, statusFileExists, SYNC_ID, type SyncStatus } from '../report/status.js';
import { buildFilter, type PathFilter } from '../scan/filter.js';
import { filterSettingsOf } from '../engine/filter-settings.js';
import { showPath } from '../util/path-bytes.js';
import { EventLog } from './events.js';
import type { AgentLog } from './log.js';
import type { AgentModel, MetricsSink, ProjectView, SyncView } from './model.js';
import { ProgressTracker } from './progress.js';
import { DEFAULT_CONCURRENT_SYNCS } from './settings.js';
import { SyncSlots } from './slots.js';
import { ProjectRunner, realTimers, type SyncRequest, type Timers, type Trigger } from './runner.js';
import { watchProject, type ProjectWatch } from './watcher.js';

export interface AgentOptions {
  env: NodeJS.ProcessEnv;
  log: AgentLog;
  metrics?: MetricsSink;
  watch: boolean;
  debounceMs: number;
  syncTimeoutMs: number;
  timers?: Timers;
  backoff?: { firstMs: number; maxMs: number };
  /** Syncs at once (a burst waits its turn; a sync running longer than SLOW_SYNC_MS frees its slot). */
  maxConcurrentSyncs?: number;
  /** A forced collection (the agent's process decides so): after large copies, and when the agent turns idle. */
  releaseMemory?: () => void;
  /** After each sync that produced a status (the notifications); its failures are its own. */
  onSyncComplete?(cfg: EffectiveConfig | undefined, status: SyncStatus, signal: AbortSignal): Promise<void>;
}

interface ProjectEntry {
  root: string;
  runner: ProjectRunner;
  /** The last configuration that loaded. */
  cfg?: EffectiveConfig;
  watch?: ProjectWatch;
  filter?: PathFilter;
}

interface RunningSync {
  root: string;
  projectId: string;
  start: Date;
  tracker: ProgressTracker;
  /** The status the engine saved when it began, read once. */
  saved?: SyncStatus;
}

/** Finished syncs kept in memory for GET /api/v1/syncs/{id} (older ones are read from the projects' history). */
const RECENT_KEPT = 500;
/** A sync running longer than this stops counting against the limit. */
const SLOW_SYNC_MS = 30_000;
/** After the last sync ends, the memory it used is given back this much later (unless another starts). */
const IDLE_COLLECT_MS = 2_000;
/** At most this many progress events per second per sync. */
const PROGRESS_PER_SECOND = 4;

export class Agent implements AgentModel {
  readonly events = new EventLog();
  private readonly entries = new Map<string, ProjectEntry>();
  private readonly running = new Map<string, RunningSync>();
  private readonly recent = new Map<string, SyncStatus>();
  /** Every sync id this agent gave out: unique across its projects, so one id names one sync. */
  private readonly issued = new Set<string>();
  private readonly timers: Timers;
  private stopped = false;
  /** Notifications still being delivered (they run beside the project's next syncs); stop() ends them. */
  private readonly notifying = new Set<Promise<void>>();
  private readonly notifyAbort = new AbortController();
  private readonly slots: SyncSlots;
  private idleCollect: unknown;

  constructor(private readonly opts: AgentOptions) {
    this.timers = opts.timers ?? realTimers;
    this.slots = new SyncSlots(opts.maxConcurrentSyncs ?? DEFAULT_CONCURRENT_SYNCS, SLOW_SYNC_MS, this.timers);
  }

  /** Makes the agent's list this one: new projects start, removed ones stop (after their running sync). */
  async setProjects(roots: string[]): Promise<void> {
    const wanted = new Set(roots);
    for (const root of roots) if (!this.entries.has(root)) this.add(root);
    await Promise.all([...this.entries.values()].filter((e) => !wanted.has(e.root)).map((e) => this.remove(e)));
  }

  private add(root: string): void {
    const entry: ProjectEntry = { root, runner: undefined as unknown as ProjectRunner };
    entry.runner = new ProjectRunner({
      root,
      timers: this.timers,
      syncTimeoutMs: this.opts.syncTimeoutMs,
      backoff: this.opts.backoff,
      settings: () => {
        const cfg = loadConfig({ projectDir: root, env: this.opts.env });
        entry.cfg = cfg;
        entry.filter = undefined;
        return { projectId: cfg.project.project_id, name: cfg.project.name ?? null, interval: cfg.sync.interval, enabled: cfg.sync.enabled, enabledSource: cfg.sources.get('sync.enabled') };
      },
      newSyncId: () => this.newSyncId(root),
      run: (syncId, signal, trigger) => this.runOne(entry, syncId, signal, trigger),
      onProblem: (message, syncId) => {
        const projectId = this.idOf(entry);
        this.opts.log.error('error', message, { project: projectId, sync_id: syncId, path: root });
        this.events.publish('error', { project_id: projectId, sync_id: syncId, message });
      },
      onRetryScheduled: (delayMs, failures) => {
        this.opts.log.warn('retry', `retrying in ${Math.round(delayMs / 1000)} s after ${failures} failed attempt${failures === 1 ? '' : 's'}`, { project: this.idOf(entry), delay_s: Math.round(delayMs / 1000), failures });
      },
    });
    this.entries.set(root, entry);
    entry.runner.setLastSync(this.lastSyncOf(root));
    entry.runner.start();
    if (this.opts.watch) this.startWatch(entry);
  }

  private async remove(entry: ProjectEntry): Promise<void> {
    this.entries.delete(entry.root);
    await entry.watch?.close();
    await entry.runner.stop();
  }

  private idOf(entry: ProjectEntry): string {
    return entry.runner.settings?.projectId ?? entry.cfg?.project.project_id ?? '';
  }

  /** `read` on the project's state, the store closed after. */
  private withStore<T>(root: string, read: (store: ReturnType<typeof openStore>) => T): T {
    const store = openStore({ projectRoot: root });
    try {
      return read(store);
    } finally {
      store.close();
    }
  }

  private lastSyncOf(root: string): { sync_id: string; status: SyncStatus['status']; end_time: string | null } | null {
    try {
      const row = this.withStore(root, (store) => store.listSyncs(1)[0]);
      if (!row) return null;
      const s = JSON.parse(row.status_json) as SyncStatus;
      return { sync_id: s.sync_id, status: s.status, end_time: s.end_time };
    } catch {
      return null;
    }
  }

  private startWatch(entry: ProjectEntry): void {
    const filter = (): PathFilter | undefined => {
      if (entry.filter) return entry.filter;
      try {
        const cfg = entry.cfg ?? loadConfig({ projectDir: entry.root, env: this.opts.env });
        return (entry.filter = buildFilter(filterSettingsOf(cfg, false)));
      } catch {
        return undefined;
      }
    };
    // A watch that cannot start says so through onError; the project then syncs on its interval only.
    entry.watch = watchProject(entry.root, {
      debounceMs: this.opts.debounceMs,
      filter,
      onFilterChanged: () => {
        entry.cfg = undefined;
        entry.filter = undefined;
      },
      onChange: () => void entry.runner.trigger('watch'),
      onError: (message) => this.opts.log.warn('watch_error', message, { project: this.idOf(entry) }),
    });
  }

  private newSyncId(root: string): string {
    const stateDir = stateDirOf(root);
    const id = newSyncId(new Date(this.timers.now()), (candidate) => this.issued.has(candidate) || statusFileExists(stateDir, candidate));
    this.issued.add(id);
    return id;
  }

  private async runOne(entry: ProjectEntry, syncId: string, signal: AbortSignal, trigger: Trigger): Promise<SyncStatus> {
    const start = new Date(this.timers.now());
    let cfg: EffectiveConfig | undefined;
    const tracker = new ProgressTracker();
    let projectId = this.idOf(entry);
    let status: SyncStatus;
    try {
      cfg = loadConfig({ projectDir: entry.root, env: this.opts.env });
      projectId = cfg.project.project_id;
      this.running.set(syncId, { root: entry.root, projectId, start, tracker });
      this.events.publish('sync_started', { project_id: projectId, sync_id: syncId, trigger });
      this.opts.log.info('sync_start', `sync ${syncId} started (${trigger})`, { project: projectId, sync_id: syncId, trigger });
      let lastProgress = 0;
      const release = await this.slots.acquire(signal);
      try {
        status = await runSync(cfg, {
          syncId,
          signal,
          env: this.opts.env,
          ...(this.opts.releaseMemory ? { releaseMemory: this.opts.releaseMemory } : {}),
          onEvent: (e) => {
            tracker.onEvent(e);
            const now = this.timers.now();
            if ((e.type === 'progress' || e.type === 'done' || e.type === 'plan') && now - lastProgress >= 1000 / PROGRESS_PER_SECOND) {
              lastProgress = now;
              this.events.publish('progress', { project_id: projectId, sync_id: syncId, ...tracker.view() });
            }
          },
        });
      } finally {
        release();
      }
    } catch (err) {
      // Nothing began (the settings, the project's lock): a status of its own, kept here and in the log.
      const e: ArxError = unexpectedToArx(err);
      status = newStatus(syncId, projectId, cfg ? remoteIdOf(cfg) : '', start, false);
      status.status = 'failed';
      status.errors.push(statusError(e));
      finishStatus(status, new Date(this.timers.now()));
      if (!this.running.has(syncId)) this.events.publish('sync_started', { project_id: projectId, sync_id: syncId, trigger });
    } finally {
      this.running.delete(syncId);
      this.collectWhenIdle();
    }
    status = redactStatus(status);
    this.remember(status);
    this.report(projectId, status, tracker);
    if (this.opts.onSyncComplete && !this.stopped) {
      const sent: Promise<void> = this.opts
        .onSyncComplete(cfg, status, this.notifyAbort.signal)
        .catch((err: unknown) => this.opts.log.error('notify_error', err instanceof Error ? err.message : String(err), { project: projectId, sync_id: syncId }))
        .finally(() => this.notifying.delete(sent));
      this.notifying.add(sent);
    }
    return status;
  }

  /** When no sync runs any more, a collection gives the memory of the last ones back to the system. */
  private collectWhenIdle(): void {
    const collect = this.opts.releaseMemory;
    if (!collect || this.running.size > 0) return;
    if (this.idleCollect !== undefined) this.timers.clear(this.idleCollect);
    this.idleCollect = this.timers.set(() => {
      this.idleCollect = undefined;
      if (this.running.size === 0) collect();
    }, IDLE_COLLECT_MS);
  }

  private report(projectId: string, status: SyncStatus, tracker: ProgressTracker): void {
    const summary = {
      project_id: projectId,
      sync_id: status.sync_id,
      status: status.status,
      files_uploaded: status.files_uploaded,
      files_downloaded: status.files_downloaded,
      files_deleted: status.files_deleted,
      bytes_transferred: status.bytes_transferred,
      conflicts_pending: status.conflicts_pending,
      errors: status.errors.length,
      duration_ms: status.duration_ms,
    };
    for (const c of status.conflicts) this.events.publish('conflict', { project_id: projectId, sync_id: status.sync_id, path: c.path, kind: c.kind, reason: c.reason });
    for (const e of status.errors) this.events.publish('error', { project_id: projectId, sync_id: status.sync_id, message: e.message, code: e.code });
    this.events.publish('sync_complete', summary);
    const line = `sync ${status.sync_id} ${status.status}: ${status.files_uploaded} up, ${status.files_downloaded} down, ${status.files_deleted} deleted, ${status.conflicts_pending} conflicts pending${status.errors[0] ? `; ${status.errors[0].message}` : ''}`;
    const fields = { project: projectId, sync_id: status.sync_id, status: status.status, duration_ms: status.duration_ms, uploaded: status.files_uploaded, downloaded: status.files_downloaded, deleted: status.files_deleted, conflicts_pending: status.conflicts_pending, errors: status.errors.length };
    if (status.status === 'failed') this.opts.log.error('sync_end', line, fields);
    else this.opts.log.info('sync_end', line, fields);
    this.opts.metrics?.syncFinished(projectId, status, tracker.tally);
  }

  private remember(status: SyncStatus): void {
    this.recent.set(status.sync_id, status);
    if (this.recent.size > RECENT_KEPT) this.recent.delete(this.recent.keys().next().value!);
  }

  private entryOf(projectId: string): ProjectEntry | undefined {
    for (const e of this.entries.values()) if (this.idOf(e) === projectId) return e;
    return undefined;
  }

  projects(): ProjectView[] {
    return [...this.entries.values()].map((e) => e.runner.view());
  }

  requestSync(projectId: string): SyncRequest | undefined {
    const e = this.entryOf(projectId);
    return e ? e.runner.trigger('api') : undefined;
  }

  sync(syncId: string): SyncView | undefined {
    if (!SYNC_ID.test(syncId)) return undefined;
    const run = this.running.get(syncId);
    if (run) return { ...this.savedStatus(syncId, run), progress: run.tracker.view() };
    const done = this.recent.get(syncId);
    if (done) return done;
    for (const e of this.entries.values()) {
      if (e.runner.queuedSyncId === syncId) return { sync_id: syncId, project_id: this.idOf(e), status: 'queued' };
    }
    for (const e of this.entries.values()) {
      const found = this.readSync(e.root, syncId);
      if (found) return found;
    }
    return undefined;
  }

  private savedStatus(syncId: string, run: RunningSync): SyncStatus {
    if (run.saved) return run.saved;
    const saved = this.readSync(run.root, syncId);
    if (saved) return (run.saved = saved);
    return newStatus(syncId, run.projectId, '', run.start, false);
  }

  private readSync(root: string, syncId: string): SyncStatus | undefined {
    try {
      const row = this.withStore(root, (store) => store.getSync(syncId));
      return row ? redactStatus(JSON.parse(row.status_json) as SyncStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  history(projectId: string, limit: number): SyncStatus[] | undefined {
    const e = this.entryOf(projectId);
    if (!e) return undefined;
    return this.withStore(e.root, (store) => store.listSyncs(limit).map((r) => redactStatus(JSON.parse(r.status_json) as SyncStatus)));
  }

  conflicts(projectId: string): unknown[] | undefined {
    const e = this.entryOf(projectId);
    if (!e) return undefined;
    return this.withStore(e.root, (store) => {
      const remoteId = e.cfg ? remoteIdOf(e.cfg) : store.lastSyncRemoteId();
      return remoteId === undefined ? [] : store.listConflicts(remoteId).map((c) => ({ ...c, path: showPath(c.path) }));
    });
  }

  pause(projectId: string): boolean {
    const e = this.entryOf(projectId);
    e?.runner.pause();
    return e !== undefined;
  }

  resume(projectId: string): boolean {
    const e = this.entryOf(projectId);
    e?.runner.resume();
    return e !== undefined;
  }

  /** No new syncs; running ones stop after their files in flight. Resolves when all ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((e) => e.watch?.close()));
    await Promise.all(entries.map((e) => e.runner.stop()));
    // Retries waiting for their turn are given up (and logged so); a request in flight ends within its timeout.
    this.notifyAbort.abort();
    await Promise.all([...this.notifying]);
  }
}
