/**
 * One project's schedule: syncs on its interval, on file changes and on
 * request; one sync at a time, and a trigger during a sync queues exactly one
 * more. Failures back off (1 minute doubling to 30) and a success resets it.
 * A sync that outlives its timeout is stopped; one that does not stop stays
 * the project's problem, and the other projects never wait for it.
 *
 * Pure scheduling: the clock, timers and the sync itself are given, so the
 * rules are tested without files or time.
 */
import type { SyncStatus } from '../report/status.js';
import type { LastSync, ProjectState, ProjectView, SyncProgress } from './model.js';

export type Trigger = 'start' | 'timer' | 'watch' | 'api' | 'resume' | 'retry';

/** What the runner needs to know of the project before each run. */
export interface ProjectSettings {
  projectId: string;
  name: string | null;
  /** Seconds; 0: no timer. */
  interval: number;
  enabled: boolean;
  /** Where sync.enabled was set, for the message. */
  enabledSource?: string;
}

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RunnerDeps {
  root: string;
  timers: Timers;
  /** Throws (a ConfigError, say) when the project's settings do not load. */
  settings(): ProjectSettings;
  newSyncId(): string;
  run(syncId: string, signal: AbortSignal, trigger: Trigger): Promise<SyncStatus>;
  syncTimeoutMs: number;
  /** After the timeout stopped a sync, how long it may take to stop before the project is marked hung. */
  stopGraceMs?: number;
  backoff?: { firstMs: number; maxMs: number };
  /** The runner's own news: a sync ended without a status (it threw), a project's settings failed, a retry is due. */
  onProblem?(message: string, syncId: string | null): void;
  onRetryScheduled?(delayMs: number, failures: number): void;
}

export const DEFAULT_BACKOFF = { firstMs: 60_000, maxMs: 30 * 60_000 };
const DEFAULT_STOP_GRACE_MS = 30_000;

export type SyncRequest = { sync_id: string } | { refused: 'paused' | 'disabled' | 'stopping' | 'error'; message: string };

interface Running {
  syncId: string;
  trigger: Trigger;
  abort: AbortController;
  done: Promise<void>;
  hung: boolean;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The message of a failed status: its first error, or its status. */
function failureOf(status: SyncStatus): string | null {
  if (status.status === 'completed') return null;
  return status.errors[0]?.message ?? `the sync ended ${status.status}`;
}

export class ProjectRunner {
  private paused = false;
  private stopping = false;
  private running: Running | undefined;
  private queued: { syncId: string; trigger: Trigger } | undefined;
  private failures = 0;
  private timer: unknown;
  private nextRunAt: number | null = null;
  private lastSync: LastSync | null = null;
  private problem: string | null = null;
  private broken = false;
  private settingsCache: ProjectSettings | undefined;
  private readonly backoff: { firstMs: number; maxMs: number };

  constructor(private readonly deps: RunnerDeps) {
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
  }

  /** The project id and name last read (a fallback while its settings do not load). */
  get settings(): ProjectSettings | undefined {
    return this.settingsCache;
  }

  get runningSyncId(): string | null {
    return this.running?.syncId ?? null;
  }

  /** Reads the settings now (the API shows the project right away) and runs a first sync. */
  start(): void {
    this.readSettings();
    this.trigger('start');
  }

  private readSettings(): ProjectSettings | undefined {
    try {
      this.settingsCache = this.deps.settings();
      this.broken = false;
      return this.settingsCache;
    } catch (err) {
      this.broken = true;
      this.problem = errorMessage(err);
      return undefined;
    }
  }

  /** A reason to sync. Requests (api) go past a back-off; changes and timers wait for it. */
  trigger(reason: Trigger): SyncRequest {
    if (this.stopping) return { refused: 'stopping', message: 'the agent is stopping' };
    if (this.paused && reason !== 'resume') {
      return { refused: 'paused', message: 'the project is paused; resume it first (POST .../resume)' };
    }
    if (this.running) {
      if (this.running.hung) return { refused: 'error', message: this.problem ?? 'the last sync did not stop' };
      if (!this.queued) this.queued = { syncId: this.deps.newSyncId(), trigger: reason };
      else if (reason === 'api') this.queued.trigger = 'api';
      return { sync_id: this.queued.syncId };
    }
    if (this.failures > 0 && !this.broken && this.nextRunAt !== null && (reason === 'watch' || reason === 'timer')) {
      // Backing off: the retry will see these changes.
      return { refused: 'error', message: this.problem ?? 'backing off after failures' };
    }
    const settings = this.readSettings();
    if (!settings) {
      this.failed(this.problem!, null);
      return { refused: 'error', message: this.problem! };
    }
    if (!settings.enabled) {
      this.problem = `sync is disabled for this project (sync.enabled is false${settings.enabledSource ? `, set in ${settings.enabledSource}` : ''})`;
      this.clearTimer();
      return { refused: 'disabled', message: this.problem };
    }
    const syncId = this.deps.newSyncId();
    this.launch(syncId, reason);
    return { sync_id: syncId };
  }

  private launch(syncId: string, trigger: Trigger): void {
    this.clearTimer();
    const abort = new AbortController();
    const run: Running = { syncId, trigger, abort, hung: false, done: Promise.resolve() };
    this.running = run;
    const timeout = this.deps.timers.set(() => this.timedOut(run), this.deps.syncTimeoutMs);
    let started: Promise<SyncStatus>;
    try {
      started = this.deps.run(syncId, abort.signal, trigger);
    } catch (err) {
      started = Promise.reject(err);
    }
    run.done = started.then(
      (status) => this.finished(run, timeout, status, null),
      (err: unknown) => this.finished(run, timeout, null, errorMessage(err)),
    );
  }

  private timedOut(run: Running): void {
    if (this.running !== run) return;
    run.abort.abort();
    this.deps.timers.set(() => {
      if (this.running !== run) return;
      run.hung = true;
      this.problem = `sync ${run.syncId} did not stop within ${Math.round((this.deps.stopGraceMs ?? DEFAULT_STOP_GRACE_MS) / 1000)} s after its time ran out (agent.sync_timeout); it is left to end by itself`;
      this.deps.onProblem?.(this.problem, run.syncId);
    }, this.deps.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
  }

  private finished(run: Running, timeout: unknown, status: SyncStatus | null, thrown: string | null): void {
    this.deps.timers.clear(timeout);
    if (this.running !== run) return;
    this.running = undefined;
    const timedOut = run.abort.signal.aborted && !this.stopping;
    let failure = status ? failureOf(status) : thrown;
    if (timedOut) failure = `the sync took longer than ${Math.round(this.deps.syncTimeoutMs / 1000)} s (agent.sync_timeout) and was stopped`;
    this.lastSync = { sync_id: status?.sync_id ?? run.syncId, status: status?.status ?? 'failed', end_time: status?.end_time ?? new Date(this.deps.timers.now()).toISOString() };
    if (thrown !== null) this.deps.onProblem?.(thrown, run.syncId);
    if (this.stopping) return;
    if (failure === null) {
      this.failures = 0;
      this.problem = null;
    } else this.failed(failure, run.syncId);
    const next = this.queued;
    this.queued = undefined;
    // After a failure only a request runs at once; changes wait for the retry.
    if (next && (next.trigger === 'api' || (!this.paused && failure === null))) {
      this.launch(next.syncId, next.trigger);
      return;
    }
    if (failure === null) this.scheduleInterval();
  }

  private failed(message: string, syncId: string | null): void {
    this.failures++;
    this.problem = message;
    const delay = Math.min(this.backoff.firstMs * 2 ** (this.failures - 1), this.backoff.maxMs);
    if (syncId === null) this.deps.onProblem?.(message, null);
    this.deps.onRetryScheduled?.(delay, this.failures);
    this.schedule(delay, 'retry');
  }

  private scheduleInterval(): void {
    const interval = this.settingsCache?.interval ?? 0;
    if (interval > 0 && !this.paused) this.schedule(interval * 1000, 'timer');
    else this.clearTimer();
  }

  private schedule(ms: number, reason: Trigger): void {
    this.clearTimer();
    if (this.paused || this.stopping) return;
    this.nextRunAt = this.deps.timers.now() + ms;
    this.timer = this.deps.timers.set(() => {
      this.timer = undefined;
      this.nextRunAt = null;
      this.trigger(reason);
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.deps.timers.clear(this.timer);
    this.timer = undefined;
    this.nextRunAt = null;
  }

  /** No new syncs until resume; a running one finishes. */
  pause(): void {
    this.paused = true;
    this.clearTimer();
    if (this.queued?.trigger !== 'api') this.queued = undefined;
  }

  /** Syncs at once (changes may have piled up), then on the interval again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.failures = 0;
    this.trigger('resume');
  }

  /** No new syncs; the running one is asked to stop after its files in flight. Resolves when it ended. */
  stop(): Promise<void> {
    this.stopping = true;
    this.clearTimer();
    this.queued = undefined;
    const run = this.running;
    if (!run) return Promise.resolve();
    run.abort.abort();
    return run.done;
  }

  /** The queued sync's id (it has no status yet), if any. */
  get queuedSyncId(): string | null {
    return this.queued?.syncId ?? null;
  }

  state(): ProjectState {
    if (this.running) return this.running.hung ? 'error' : 'syncing';
    if (this.paused) return 'paused';
    if (this.broken) return 'error';
    if (this.failures > 0) return 'waiting';
    return 'idle';
  }

  view(progress?: SyncProgress): ProjectView & { progress?: SyncProgress } {
    const s = this.settingsCache;
    return {
      project_id: s?.projectId ?? '',
      name: s?.name ?? null,
      path: this.deps.root,
      state: this.state(),
      last_sync: this.lastSync,
      next_run: this.nextRunAt === null ? null : new Date(this.nextRunAt).toISOString(),
      problem: this.problem,
      ...(progress ? { progress } : {}),
    };
  }

  /** Called once at start with the project's last sync from its history. */
  setLastSync(last: LastSync | null): void {
    if (this.lastSync === null) this.lastSync = last;
  }
}
