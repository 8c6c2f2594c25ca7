/**
 * Many replicas, one remote: two replicas that sync at the same moment never
 * lose an edit (the remote lock, README "Remote lock"). Every edit must end as
 * content on its replica and the remote, or as an open conflict on its
 * replica; on the local remote and over SFTP (a real sshd on loopback).
 */
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arxAsync, arxSpawn, read, snapshot, syncResult, twoSided, write, type RemoteKind, type TwoSided } from '../helpers/cli.js';
import { describeOverSftp } from '../helpers/sshd.js';

const ROUNDS = 20;
const FILES = 50;

type Side = 'a' | 'b';

async function syncJson(t: TwoSided, side: Side, env: Record<string, string> = {}): Promise<{ code: number; status: any; stderr: string }> {
  return syncResult(await arxAsync(['sync', '--json', '--quiet'], { cwd: side === 'a' ? t.a : t.b, env: { ...t.envOf(side), ...env } }));
}

function openConflicts(t: TwoSided, side: Side): Set<string> {
  const r = t.run(side, 'conflicts', '--json');
  expect(r.code, r.stderr).toBe(0);
  return new Set((JSON.parse(r.stdout) as { path: string }[]).map((c) => c.path));
}

const readOr = (root: string, rel: string): string | undefined => (existsSync(join(root, rel)) ? read(root, rel) : undefined);

interface Edit {
  path: string;
  side: Side;
  content: string;
}

/** Edits that are neither content on their replica and the remote nor an open conflict on their replica. */
function lostEdits(t: TwoSided, edits: readonly Edit[], conflicts: Record<Side, Set<string>>): string[] {
  const lost: string[] = [];
  for (const e of edits) {
    const here = readOr(e.side === 'a' ? t.a : t.b, e.path);
    const onRemote = readOr(t.remote, e.path);
    const kept = here === e.content && (onRemote === e.content || conflicts[e.side].has(e.path));
    if (!kept) lost.push(`${e.path}: ${e.side}'s ${JSON.stringify(e.content)} (${e.side} has ${JSON.stringify(here)}, remote ${JSON.stringify(onRemote)}, ${conflicts[e.side].has(e.path) ? 'open conflict' : 'no conflict'})`);
  }
  return lost;
}

const pathOf = (round: number, i: number): string => `r${String(round).padStart(2, '0')}/f${String(i).padStart(2, '0')}.json`;

/** Both replicas synced with every round's files (one folder per round, so rounds do not disturb each other). */
function prepared(kind: RemoteKind, id: string): TwoSided {
  const t = twoSided(id, {}, kind);
  for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < FILES; i++) write(t.a, pathOf(r, i), '"base"');
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

function editBoth(t: TwoSided, paths: readonly string[], tag: string): Edit[] {
  const edits: Edit[] = [];
  for (const p of paths) {
    for (const side of ['a', 'b'] as const) {
      const content = `"${side.toUpperCase()}${tag}"`;
      write(side === 'a' ? t.a : t.b, p, content);
      edits.push({ path: p, side, content });
    }
  }
  return edits;
}

async function bothAtOnce(t: TwoSided, env: Record<string, string> = {}): Promise<Record<Side, Set<string>>> {
  const [a, b] = await Promise.all([syncJson(t, 'a', env), syncJson(t, 'b', env)]);
  for (const r of [a, b]) expect([0, 3], `${r.stderr}\n${JSON.stringify(r.status.errors)}`).toContain(r.code);
  return { a: new Set(a.status.conflicts.map((c: { path: string }) => c.path)), b: new Set(b.status.conflicts.map((c: { path: string }) => c.path)) };
}

function racesOn(name: string, kind: () => RemoteKind): void {
  const id = name.replace(/\W+/g, '-');
  describe(`two replicas syncing at once (${name})`, () => {
    it(`${ROUNDS} rounds of ${FILES} files edited differently on both: every edit ends as content or an open conflict`, async () => {
      const t = prepared(kind(), `race-${id}`);
      const all: Edit[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const paths = Array.from({ length: FILES }, (_, i) => pathOf(round, i));
        const edits = editBoth(t, paths, String(round));
        all.push(...edits);
        const conflicts = await bothAtOnce(t);
        expect(lostEdits(t, edits, conflicts), `round ${round}`).toEqual([]);
        // One replica's sync came first: each path is an open conflict on the other one only.
        for (const p of paths) expect(Number(conflicts.a.has(p)) + Number(conflicts.b.has(p)), p).toBe(1);
        if (round === ROUNDS - 1) break;
        // The user settles them by taking the remote version (the next round's syncs close them),
        // so open conflicts do not pile up round after round.
        for (const p of paths) write(conflicts.a.has(p) ? t.a : t.b, p, read(t.remote, p));
      }
      // Then each syncs twice more: the last round's edits are still all there, and the rest converges.
      for (const side of ['a', 'b', 'a', 'b'] as const) expect([0, 3]).toContain(t.sync(side).code);
      const conflicts = { a: openConflicts(t, 'a'), b: openConflicts(t, 'b') };
      const last = all.slice(-2 * FILES);
      expect(lostEdits(t, last, conflicts)).toEqual([]);
      expect(conflicts.a.size + conflicts.b.size).toBe(FILES);
      const [sa, sb, sr] = [snapshot(t.a), snapshot(t.b), snapshot(t.remote)];
      for (const [p, h] of sr) if (!conflicts.a.has(p) && !conflicts.b.has(p)) expect([sa.get(p), sb.get(p)], p).toEqual([h, h]);
      // The lock folder is gone and was never synced.
      for (const root of [t.a, t.b, t.remote]) expect(existsSync(join(root, '.arx-lock')), root).toBe(false);
    });

    /** Side a's sync SIGKILLed while it holds the remote lock (a big upload under way); the path of its lock file. */
    async function killedHolder(t: TwoSided): Promise<string> {
      for (const side of ['a', 'b'] as const) t.setGlobal(side, (cfg) => (cfg.remote.lock_lease = 3));
      write(t.a, 'first.json', '"1"');
      expect(t.sync('a').code).toBe(0);
      expect(t.sync('b').code).toBe(0);
      for (let i = 0; i < 400; i++) write(t.a, `many/f${i}.json`, `"${i}"`);
      const owner = join(t.remote, '.arx-lock', 'owner');
      const child = arxSpawn(['sync', '--quiet'], { cwd: t.a, env: t.envOf('a') });
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      const deadline = Date.now() + 20_000;
      while (!existsSync(owner) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      expect(JSON.parse(read(t.remote, '.arx-lock/owner')).command).toBe('sync'); // there with its content at once
      child.kill('SIGKILL');
      await exited;
      expect(existsSync(owner), 'the killed sync left its lock').toBe(true);
      return owner;
    }

    /** Both sides end with everything a's killed sync was uploading, and the lock is gone. */
    function converges(t: TwoSided, owner: string): void {
      expect(existsSync(owner)).toBe(false);
      expect(t.sync('a').code).toBe(0);
      expect(t.sync('b').code).toBe(0);
      expect(snapshot(t.b)).toEqual(snapshot(t.a));
      expect(read(t.b, 'many/f399.json')).toBe('"399"');
    }

    it('a sync killed on this machine: the next one takes its lock over at once', async () => {
      const t = twoSided(`killed-${id}`, {}, kind());
      const owner = await killedHolder(t);
      // Same host, and its process is gone: no need to wait for the lease.
      const next = await arxAsync(['sync'], { cwd: t.b, env: { ...t.envOf('b'), ARX_LOCK_WAIT: '0' } });
      expect(next.code, next.stderr).toBe(0);
      converges(t, owner);
    });

    it('a lock holder on a lost machine: refused while its lease is live, taken over once it ends', async () => {
      const t = twoSided(`lost-${id}`, {}, kind());
      const owner = await killedHolder(t);
      // As if that sync had run on another machine (its lock file's time unchanged).
      const st = statSync(owner);
      writeFileSync(owner, JSON.stringify({ ...JSON.parse(read(t.remote, '.arx-lock/owner')), host: 'lost-machine' }));
      utimesSync(owner, st.atime, st.mtime);
      // Its lease is live for a few seconds more: a sync that may not wait stops at once naming it,
      // and arx unlock refuses it without --force.
      const fast = await arxAsync(['sync'], { cwd: t.b, env: { ...t.envOf('b'), ARX_LOCK_WAIT: '0' } });
      expect(fast.code, fast.stderr).toBe(7);
      expect(fast.stderr).toMatch(/arx: error: the remote is locked by arx sync sync_\d{8}_\d{6}\S* \(pid \d+ on lost-machine, since [^)]+\), which is syncing with it; its lease ends in \d+ s/);
      const refused = t.run('b', 'unlock', '--remote');
      expect(refused.code, refused.stderr).toBe(7);
      expect(refused.stderr).toContain('it looks alive, so the lock was left in place');
      // The default waits: it takes the lock over once the lease has ended.
      const waited = await arxAsync(['sync'], { cwd: t.b, env: t.envOf('b') });
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stderr).toMatch(/arx: waiting up to \d+ s for the remote lock, held by arx sync sync_\S+ \(pid \d+ on lost-machine/);
      converges(t, owner);
    });

    it('arx resolve waits for the remote lock like a sync; arx unlock --remote --force removes a live one', async () => {
      const t = twoSided(`resolve-${id}`, {}, kind());
      write(t.a, 'symbols/x.json', '"base"');
      expect(t.sync('a').code).toBe(0);
      expect(t.sync('b').code).toBe(0);
      write(t.a, 'symbols/x.json', '"A"');
      write(t.b, 'symbols/x.json', '"B"');
      expect(t.sync('a').code).toBe(0);
      expect(t.sync('b').code).toBe(3);
      // A sync on another machine holds the lock, its lease live.
      mkdirSync(join(t.remote, '.arx-lock'), { recursive: true });
      writeFileSync(join(t.remote, '.arx-lock', 'owner'), JSON.stringify({ token: 'other', host: 'other-machine', pid: 4242, sync_id: 'sync_20261204_101500', command: 'sync', since: new Date().toISOString(), lease_ms: 60_000, renewals: 0 }));
      const refused = await arxAsync(['resolve', 'symbols/x.json', '--keep', 'local'], { cwd: t.b, env: { ...t.envOf('b'), ARX_LOCK_WAIT: '0' } });
      expect(refused.code, refused.stderr).toBe(7);
      expect(refused.stderr).toContain('the remote is locked by arx sync sync_20261204_101500 (pid 4242 on other-machine');
      // Nothing was written: the conflict is open, the remote keeps A.
      expect(openConflicts(t, 'b').has('symbols/x.json')).toBe(true);
      expect(read(t.remote, 'symbols/x.json')).toBe('"A"');
      const forced = t.run('b', 'unlock', '--remote', '--force');
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain('removed the remote lock of arx sync sync_20261204_101500 (pid 4242 on other-machine');
      expect(existsSync(join(t.remote, '.arx-lock', 'owner'))).toBe(false);
      const resolved = await arxAsync(['resolve', 'symbols/x.json', '--keep', 'local'], { cwd: t.b, env: { ...t.envOf('b'), ARX_LOCK_WAIT: '0' } });
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(read(t.remote, 'symbols/x.json')).toBe('"B"');
      expect(t.sync('a').code).toBe(0);
      expect(read(t.a, 'symbols/x.json')).toBe('"B"');
    });

    it('two waiters racing for an expired lock: one takes it, the other waits for it; no edit is lost', async () => {
      const t = twoSided(`stale-${id}`, {}, kind());
      const paths = Array.from({ length: FILES }, (_, i) => `s/f${i}.json`);
      for (const p of paths) write(t.a, p, '"base"');
      expect(t.sync('a').code).toBe(0);
      expect(t.sync('b').code).toBe(0);
      // A lock left by a sync on a machine that is gone: its lease ended long ago.
      mkdirSync(join(t.remote, '.arx-lock'), { recursive: true });
      const stale = join(t.remote, '.arx-lock', 'owner');
      writeFileSync(stale, JSON.stringify({ token: 'gone', host: 'lost-machine', pid: 4242, sync_id: 'sync_20200101_000000', command: 'sync', since: '2020-01-01T00:00:00.000Z', lease_ms: 60_000, renewals: 3 }));
      const old = new Date(Date.now() - 10 * 60_000);
      utimesSync(stale, old, old);
      const edits = editBoth(t, paths, 'x');
      const conflicts = await bothAtOnce(t);
      expect(lostEdits(t, edits, conflicts)).toEqual([]);
      for (const p of paths) expect(Number(conflicts.a.has(p)) + Number(conflicts.b.has(p)), p).toBe(1);
      expect(existsSync(stale)).toBe(false);
    });
  });
}

racesOn('local remote', () => ({ kind: 'local' }));

describeOverSftp('over SFTP', (kind) => racesOn('sftp', kind));
