/**
 * Crash safety: SIGKILL a sync at several points while it transfers ~2,000
 * files. The next sync converges, re-copies nothing already finished, and
 * reports no conflict; every file ends byte-identical on both sides.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arxSpawn, snapshot, twoSided, write, type TwoSided } from '../helpers/cli.js';

const FILES = 2000;

/** Regular project files under root (no temporaries, no .arx). */
function countFiles(root: string): number {
  let n = 0;
  const walk = (dir: string, top: boolean): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (top && (name === '.arx' || name === '.arx-lock')) continue; // arx's state, and the remote lock a killed sync leaves
      if (name.startsWith('.arx-tmp-')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, false);
      else n++;
    }
  };
  walk(root, true);
  return n;
}

function temporaries(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith('.arx-tmp-')) found.push(p);
      else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return found;
}

function symbolFile(i: number): string {
  return `symbols/s${String(i % 40).padStart(2, '0')}/f${String(i).padStart(4, '0')}.json`;
}

function fill(root: string, version: string): void {
  for (let i = 0; i < FILES; i++) {
    write(root, symbolFile(i), JSON.stringify({ id: i, version, pad: 'x'.repeat((i * 37) % 6000) }));
  }
}

/**
 * Run `sync` on one side and SIGKILL it each time `watched` holds at least the
 * next threshold of files. Returns how many runs were killed.
 */
async function killAt(t: TwoSided, side: 'a' | 'b', watched: () => number, thresholds: number[]): Promise<number> {
  let killed = 0;
  for (const threshold of thresholds) {
    const child = arxSpawn(['sync', '--quiet'], { cwd: side === 'a' ? t.a : t.b, env: t.env });
    let exited = false;
    const done = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
    while (!exited && watched() < threshold) await new Promise((r) => setTimeout(r, 5));
    if (!exited) {
      child.kill('SIGKILL');
      killed++;
    }
    await done;
  }
  return killed;
}

describe('crash safety', () => {
  it('converges after SIGKILLs during uploads, downloads and overwrites, without re-copying or false conflicts', async () => {
    const t = twoSided('crash');
    fill(t.a, 'v1');
    const total = FILES + 1; // plus arxfile.json

    // Uploads from a, killed at several points.
    const killedUp = await killAt(t, 'a', () => countFiles(t.remote), [1, 400, 1000, 1600]);
    expect(killedUp).toBeGreaterThanOrEqual(2);
    const present = countFiles(t.remote);
    const up = t.syncJson('a');
    expect(up.code, up.stderr).toBe(0);
    expect(up.status.conflicts_pending).toBe(0);
    expect(up.status.files_uploaded).toBe(total - present);
    expect(temporaries(t.remote)).toEqual([]);
    expect(snapshot(t.remote)).toEqual(snapshot(t.a));

    // Downloads into b, killed at several points.
    const killedDown = await killAt(t, 'b', () => countFiles(t.b), [2, 500, 1200]);
    expect(killedDown).toBeGreaterThanOrEqual(2);
    const inB = countFiles(t.b);
    const down = t.syncJson('b');
    expect(down.code, down.stderr).toBe(0);
    expect(down.status.conflicts_pending).toBe(0);
    // arxfile.json was already in b (identical), so it is recorded, not copied.
    expect(down.status.files_downloaded).toBe(total - inB);
    expect(snapshot(t.b)).toEqual(snapshot(t.a));

    // Overwrites: every file changes on a; uploads and then downloads are killed midway.
    fill(t.a, 'v2');
    expect(await killAt(t, 'a', () => countVersion(t.remote, 'v2'), [100, 900])).toBeGreaterThanOrEqual(1);
    const up2 = t.syncJson('a');
    expect(up2.code, up2.stderr).toBe(0);
    expect(up2.status.conflicts_pending).toBe(0);
    expect(up2.status.files_uploaded).toBeLessThan(FILES);
    expect(snapshot(t.remote)).toEqual(snapshot(t.a));

    await killAt(t, 'b', () => countVersion(t.b, 'v2'), [100, 1000]);
    const down2 = t.syncJson('b');
    expect(down2.code, down2.stderr).toBe(0);
    expect(down2.status.conflicts_pending).toBe(0);
    expect(snapshot(t.b)).toEqual(snapshot(t.a));
    expect(temporaries(t.b)).toEqual([]);

    // The killed syncs are in the history as interrupted, not "running".
    const history = JSON.parse(t.run('a', 'history', '--json', '--limit', '50').stdout) as { status: string; errors: { code: string }[] }[];
    expect(history.some((s) => s.status === 'running')).toBe(false);
    expect(history.filter((s) => s.errors.some((e) => e.code === 'INTERRUPTED')).length).toBeGreaterThanOrEqual(killedUp);

    // And a final round on both sides has nothing left to do.
    for (const side of ['a', 'b'] as const) expect(t.syncJson(side).status.files_synced).toBe(0);
  });
});

/** Roughly how many files under root hold `version` (sampling every 50th). */
function countVersion(root: string, version: string): number {
  let n = 0;
  for (let i = 0; i < FILES; i += 50) {
    if (readFileSafe(join(root, symbolFile(i))).includes(`"${version}"`)) n += 50;
  }
  return n;
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
