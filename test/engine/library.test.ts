/**
 * The engine as a library: many syncs in one process (as the agent runs
 * them), each tied to its events by its id, none leaving a handle or memory
 * behind; and a sync cancelled before it starts writes nothing to the remote.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runSync, type SyncEvent } from '../../src/engine/sync.js';
import { read, twoSided, write } from '../helpers/cli.js';

/** A forced collection, made available at run time (the test runner starts node without --expose-gc). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The process's open handles and requests by kind, and apart the number of
 * ref'd timers (an unref'd one is not listed: it keeps nothing alive). The
 * test runner's own timers come and go, so one more or fewer is no leak.
 */
function openResources(): { handles: string[]; timers: number } {
  const all = process.getActiveResourcesInfo();
  const isTimer = (r: string) => r === 'Timeout' || r === 'Immediate';
  return { handles: all.filter((r) => !isTimer(r)).sort(), timers: all.filter(isTimer).length };
}

const SYNCS = 200;

describe('runSync in one process', () => {
  it(`runs ${SYNCS} syncs with distinct ids, events tied to their sync, no handle or heap growth`, async () => {
    const t = twoSided('lib1');
    const env = t.envOf('a');
    const sync = async (i: number, events: { e: SyncEvent; id: string }[]) => {
      write(t.a, `symbols/s${i % 7}.json`, JSON.stringify({ i }));
      write(t.a, `rules/r${i % 3}.json`, JSON.stringify({ rule: i }));
      if (i % 5 === 0) write(t.a, `models/m${i}.txt`, 'x'.repeat(1000 + i));
      const cfg = loadConfig({ projectDir: t.a, env });
      return runSync(cfg, { env, onEvent: (e, id) => events.push({ e, id }) });
    };
    const gc = forcedGc();
    // A first sync loads what every sync uses (modules, the native SQLite binding) once.
    const warmUp = await sync(-1, []);
    expect(warmUp.status).toBe('completed');
    gc();
    const resourcesBefore = openResources();
    const heapBefore = process.memoryUsage().heapUsed;

    const ids = new Set<string>();
    for (let i = 0; i < SYNCS; i++) {
      const events: { e: SyncEvent; id: string }[] = [];
      const status = await sync(i, events);
      expect(status.status, JSON.stringify(status.errors)).toBe('completed');
      expect(status.files_uploaded).toBeGreaterThan(0);
      ids.add(status.sync_id);
      expect(events.length).toBeGreaterThan(0);
      expect(events.filter((x) => x.id !== status.sync_id)).toEqual([]);
      expect(events.some((x) => x.e.type === 'done')).toBe(true); // the executor's events carry the id too
      expect(events.at(-1)!.e).toMatchObject({ type: 'phase', phase: 'finish', message: 'sync completed' });
    }
    expect(ids.size).toBe(SYNCS);
    expect(ids.has(warmUp.sync_id)).toBe(false);

    gc();
    const resourcesAfter = openResources();
    expect(resourcesAfter.handles).toEqual(resourcesBefore.handles);
    expect(resourcesAfter.timers).toBeLessThanOrEqual(resourcesBefore.timers + 1);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
  }, 300_000);

  it('ties the pre_sync and post_sync commands\' events to their sync', async () => {
    const t = twoSided('lib2', { commands: { pre_sync: [{ name: 'pre', command: 'true' }], post_sync: [{ name: 'post', command: 'true' }] } });
    const env = t.envOf('a');
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/a.json', '{}');
    const events: { e: SyncEvent; id: string }[] = [];
    const status = await runSync(loadConfig({ projectDir: t.a, env }), { env, onEvent: (e, id) => events.push({ e, id }) });
    expect(status.status, JSON.stringify(status.errors)).toBe('completed');
    const commands = events.filter((x) => x.e.type === 'command');
    expect(commands.map((x) => (x.e as { name: string }).name)).toEqual(['pre', 'post']);
    expect(new Set(events.map((x) => x.id))).toEqual(new Set([status.sync_id]));
  });

  it('returns cancelled without touching the remote when the signal is already aborted', async () => {
    const t = twoSided('lib3', { commands: { pre_sync: [{ name: 'pre', command: 'touch pre-ran' }] } });
    const env = t.envOf('a');
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/a.json', '{}');
    const ac = new AbortController();
    ac.abort();
    const events: { e: SyncEvent; id: string }[] = [];
    const status = await runSync(loadConfig({ projectDir: t.a, env }), { env, signal: ac.signal, onEvent: (e, id) => events.push({ e, id }) });
    expect(status.status).toBe('cancelled');
    expect(status.errors.map((e) => e.code)).toEqual(['CANCELLED']);
    expect(status.files_uploaded).toBe(0);
    // Nothing on the remote: not the project's folder, not its lock.
    expect(existsSync(t.remoteRoot) ? readdirSync(t.remoteRoot, { recursive: true }) : []).toEqual([]);
    expect(existsSync(join(t.a, 'pre-ran'))).toBe(false); // nor were its commands run
    expect(events.every((x) => x.id === status.sync_id)).toBe(true);
    // The project's history records it, as any sync.
    expect(JSON.parse(read(t.a, `.arx/syncs/${status.sync_id}.json`)).status).toBe('cancelled');
    // The next sync is not hindered by it.
    const next = await runSync(loadConfig({ projectDir: t.a, env }), { env });
    expect(next.status).toBe('completed');
    expect(next.files_uploaded).toBe(3); // arxfile.json, symbols/a.json and what pre_sync made
    expect(existsSync(join(t.a, 'pre-ran'))).toBe(true);
  });
});
