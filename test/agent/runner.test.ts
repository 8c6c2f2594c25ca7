import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/report/status.js';
import { ProjectRunner, type ProjectSettings, type Timers, type Trigger } from '../../src/agent/runner.js';

/** A clock that moves only when the test says so. */
class FakeTimers implements Timers {
  private t = 1_000_000;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Moves the clock, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
  nextDueIn(): number | null {
    const ats = [...this.pending.values()].map((p) => p.at);
    return ats.length ? Math.min(...ats) - this.t : null;
  }
}

interface Call {
  syncId: string;
  trigger: Trigger;
  signal: AbortSignal;
  finish(status: 'completed' | 'failed'): void;
  throwError(message: string): void;
}

function statusOf(syncId: string, status: 'completed' | 'failed'): SyncStatus {
  return {
    sync_id: syncId,
    status,
    end_time: '2026-12-04T10:00:00.000Z',
    errors: status === 'failed' ? [{ type: 'remote', code: 'UNREACHABLE', message: 'host down', path: null }] : [],
  } as unknown as SyncStatus;
}

function setup(overrides: Partial<ProjectSettings> = {}, opts: { syncTimeoutMs?: number } = {}) {
  const timers = new FakeTimers();
  const calls: Call[] = [];
  const problems: string[] = [];
  const settings: ProjectSettings = { projectId: 'p1', name: 'One', interval: 300, enabled: true, ...overrides };
  let n = 0;
  const runner = new ProjectRunner({
    root: '/projects/one',
    timers,
    settings: () => settings,
    newSyncId: () => `sync_${++n}`,
    syncTimeoutMs: opts.syncTimeoutMs ?? 3_600_000,
    stopGraceMs: 1_000,
    run: (syncId, signal, trigger) =>
      new Promise<SyncStatus>((resolve, reject) => {
        calls.push({
          syncId,
          trigger,
          signal,
          finish: (s) => resolve(statusOf(syncId, s)),
          throwError: (m) => reject(new Error(m)),
        });
      }),
    onProblem: (m) => problems.push(m),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return { timers, calls, runner, settings, problems, settle };
}

describe('a project runner', () => {
  it('syncs at start, then on its interval', async () => {
    const { timers, calls, runner, settle } = setup({ interval: 300 });
    runner.start();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.trigger).toBe('start');
    expect(runner.state()).toBe('syncing');
    calls[0]!.finish('completed');
    await settle();
    expect(runner.state()).toBe('idle');
    expect(runner.view().last_sync).toMatchObject({ sync_id: 'sync_1', status: 'completed' });
    expect(timers.nextDueIn()).toBe(300_000);
    timers.advance(299_000);
    expect(calls).toHaveLength(1);
    timers.advance(1_000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.trigger).toBe('timer');
  });

  it('has no timer with interval 0', async () => {
    const { timers, calls, runner, settle } = setup({ interval: 0 });
    runner.start();
    calls[0]!.finish('completed');
    await settle();
    expect(timers.nextDueIn()).toBeNull();
    expect(runner.view().next_run).toBeNull();
  });

  it('queues exactly one sync for any number of triggers during a sync', async () => {
    const { calls, runner, settle } = setup();
    runner.start();
    const ids = [runner.trigger('watch'), runner.trigger('watch'), runner.trigger('api'), runner.trigger('timer')];
    const queuedIds = new Set(ids.map((r) => ('sync_id' in r ? r.sync_id : r.refused)));
    expect(queuedIds.size).toBe(1);
    expect(runner.queuedSyncId).toBe([...queuedIds][0]);
    calls[0]!.finish('completed');
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.syncId).toBe(runner.queuedSyncId ?? calls[1]!.syncId);
    expect(calls[1]!.syncId).toBe([...queuedIds][0]);
    // The queued sync ran with the strongest reason seen.
    expect(calls[1]!.trigger).toBe('api');
    calls[1]!.finish('completed');
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('backs off after failures, doubling to the cap, and resets on success', async () => {
    const { timers, calls, runner, settle } = setup({ interval: 300 });
    runner.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      calls.at(-1)!.finish('failed');
      await settle();
      expect(runner.state()).toBe('waiting');
      delays.push(timers.nextDueIn()!);
      timers.advance(timers.nextDueIn()!);
      expect(calls.at(-1)!.trigger).toBe('retry');
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000]);
    expect(runner.view().problem).toBe('host down');
    calls.at(-1)!.finish('completed');
    await settle();
    expect(runner.state()).toBe('idle');
    expect(runner.view().problem).toBeNull();
    expect(timers.nextDueIn()).toBe(300_000);
    // The next failure starts again at one minute.
    timers.advance(300_000);
    calls.at(-1)!.finish('failed');
    await settle();
    expect(timers.nextDueIn()).toBe(60_000);
  });

  it('while backing off, file changes wait for the retry but a request runs at once', async () => {
    const { calls, runner, settle } = setup();
    runner.start();
    calls[0]!.finish('failed');
    await settle();
    const watched = runner.trigger('watch');
    expect('refused' in watched).toBe(true);
    expect(calls).toHaveLength(1);
    const asked = runner.trigger('api');
    expect('sync_id' in asked).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.trigger).toBe('api');
  });

  it('a sync that throws is a failure of that project, and the runner goes on', async () => {
    const { timers, calls, runner, problems, settle } = setup();
    runner.start();
    calls[0]!.throwError('boom in the engine');
    await settle();
    expect(problems).toContain('boom in the engine');
    expect(runner.view().last_sync).toMatchObject({ sync_id: 'sync_1', status: 'failed' });
    expect(runner.state()).toBe('waiting');
    timers.advance(60_000);
    expect(calls).toHaveLength(2);
  });

  it('pause refuses syncs and drops the timer; resume syncs at once', async () => {
    const { timers, calls, runner, settle } = setup({ interval: 300 });
    runner.start();
    calls[0]!.finish('completed');
    await settle();
    runner.pause();
    expect(runner.state()).toBe('paused');
    expect(timers.nextDueIn()).toBeNull();
    const r = runner.trigger('api');
    expect(r).toMatchObject({ refused: 'paused' });
    timers.advance(3_600_000);
    expect(calls).toHaveLength(1);
    runner.resume();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.trigger).toBe('resume');
  });

  it('a disabled project does not sync and says where it was disabled', () => {
    const { calls, runner } = setup({ enabled: false, enabledSource: '/p/arxfile.json' });
    runner.start();
    expect(calls).toHaveLength(0);
    expect(runner.trigger('api')).toMatchObject({ refused: 'disabled' });
    expect(runner.view().problem).toContain('/p/arxfile.json');
  });

  it('settings that do not load make the project an error, retried later', () => {
    const timers = new FakeTimers();
    let ok = false;
    const calls: string[] = [];
    const runner = new ProjectRunner({
      root: '/p',
      timers,
      settings: () => {
        if (!ok) throw new Error('arxfile.json: sync.interval must be a number');
        return { projectId: 'p', name: null, interval: 0, enabled: true };
      },
      newSyncId: () => 'sync_x',
      syncTimeoutMs: 1000,
      run: (id) => {
        calls.push(id);
        return new Promise(() => {});
      },
    });
    runner.start();
    expect(runner.state()).toBe('error');
    expect(runner.view().problem).toContain('sync.interval');
    // Broken settings are retried on a file change too (the fix is a file change).
    ok = true;
    runner.trigger('watch');
    expect(calls).toEqual(['sync_x']);
  });

  it('stops a sync that outlives its timeout, and marks one that does not stop', async () => {
    const { timers, calls, runner, problems, settle } = setup({}, { syncTimeoutMs: 10_000 });
    runner.start();
    timers.advance(10_000);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(runner.state()).toBe('syncing');
    timers.advance(1_000);
    expect(runner.state()).toBe('error');
    expect(problems.at(-1)).toContain('did not stop');
    expect(runner.trigger('api')).toMatchObject({ refused: 'error' });
    // When it ends at last, the project recovers through the back-off.
    calls[0]!.finish('completed');
    await settle();
    expect(runner.view().problem).toContain('agent.sync_timeout');
    expect(runner.state()).toBe('waiting');
  });

  it('stop aborts the running sync, refuses new ones and waits for the end', async () => {
    const { calls, runner, settle } = setup();
    runner.start();
    runner.trigger('watch');
    const stopped = runner.stop();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(runner.trigger('api')).toMatchObject({ refused: 'stopping' });
    let done = false;
    void stopped.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    calls[0]!.finish('completed');
    await stopped;
    await settle();
    // The queued sync was dropped.
    expect(calls).toHaveLength(1);
  });
});
