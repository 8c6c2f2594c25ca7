/**
 * bin/arx starts the compiled CLI from V8's code cache (src/cli/launch.ts).
 * Run from a copy of the installation, so this file's damaged caches never
 * meet the other tests' runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, REPO, tempDir } from '../helpers/cli.js';
import { haveSshd, startSshd } from '../helpers/sshd.js';

/** A copy of bin/, dist/ and package.json, using the repository's node_modules. */
function installation(): { root: string; cacheDir: string; run: (...args: string[]) => { code: number; stdout: string; stderr: string }; runIn: (cwd: string, ...args: string[]) => { code: number; stdout: string; stderr: string } } {
  const root = tempDir('arx-launch-');
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
  mkdirSync(join(root, 'dist'));
  for (const f of readdirSync(join(REPO, 'dist'))) if (/\.(cjs|mjs)$/.test(f)) cpSync(join(REPO, 'dist', f), join(root, 'dist', f));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const home = tempDir();
  const runIn = (cwd: string, ...args: string[]) => {
    const r = spawnSync(join(root, 'bin', 'arx'), args, { cwd, env: cleanEnv(home), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return { root, cacheDir: join(root, 'dist', '.code-cache'), run: (...args) => runIn(home, ...args), runIn };
}

function cacheFiles(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A project of one small file whose remote is `remote` (its folder p1 there), set in its .env (the remote is local-only). */
function projectSyncingTo(remote: Record<string, unknown>): string {
  const project = tempDir();
  writeFileSync(join(project, 'arxfile.json'), JSON.stringify({ project_id: 'p1', name: 'P1', sync: { remote_path: 'p1' } }));
  writeFileSync(join(project, '.env'), Object.entries(remote).map(([k, v]) => `ARX_REMOTE_${k.toUpperCase()}=${String(v)}\n`).join(''));
  writeFileSync(join(project, 'a.json'), '{}');
  return project;
}

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe('start-up from the code cache', () => {
  it('writes one cache per command on its first run and runs the same from it', () => {
    const i = installation();
    expect(cacheFiles(i.cacheDir)).toEqual([]);
    expect(i.run('--version').stdout.trim()).toBe(VERSION);
    const first = cacheFiles(i.cacheDir);
    expect(first).toHaveLength(1);
    expect(i.run('--version').stdout.trim()).toBe(VERSION);
    expect(cacheFiles(i.cacheDir)).toEqual(first);
    // Another command gets its own cache; its output is the same with and without it.
    const noProject = i.run('status');
    expect(cacheFiles(i.cacheDir)).toHaveLength(2);
    expect(i.run('status')).toEqual(noProject);
    expect(noProject.code).toBe(2);
  });

  it('a successful sync after one that stopped at once writes the cache again; later ones leave it', () => {
    const i = installation();
    // A sync that stops at once (no project here) leaves a small cache.
    expect(i.run('sync').code).toBe(2);
    const [name] = cacheFiles(i.cacheDir);
    const small = statSync(join(i.cacheDir, name!)).size;
    // A real sync compiles far more.
    const project = projectSyncingTo({ type: 'local', path: tempDir() });
    expect(i.runIn(project, 'sync').code).toBe(0);
    expect(cacheFiles(i.cacheDir)).toEqual([name]);
    const written = statSync(join(i.cacheDir, name!));
    expect(written.size).toBeGreaterThan(small * 1.2);
    // The cache covers such a run now: the next one reads it and leaves it as it is.
    expect(i.runIn(project, 'sync').code).toBe(0);
    expect(statSync(join(i.cacheDir, name!)).mtimeMs).toBe(written.mtimeMs);
  });

  it.runIf(haveSshd())('a sync that moves large files over SFTP (many garbage collections) still leaves the whole program in the cache', async () => {
    const sshd = await startSshd();
    try {
      const sizeAfterSync = (modelBytes: number): number => {
        const i = installation();
        const project = projectSyncingTo({ type: 'sftp', host: '127.0.0.1', port: sshd.port, username: sshd.user, key_file: sshd.clientKey, known_hosts: sshd.knownHosts, path: tempDir() });
        mkdirSync(join(project, 'models'));
        for (let n = 0; n < 3 && modelBytes > 0; n++) {
          const model = join(project, 'models', `m${n}.ifc`);
          writeFileSync(model, '');
          truncateSync(model, modelBytes);
        }
        const r = i.runIn(project, 'sync');
        expect(r.code, r.stderr).toBe(0);
        const [name] = cacheFiles(i.cacheDir);
        return statSync(join(i.cacheDir, name!)).size;
      };
      const small = sizeAfterSync(0);
      // 3 x 64 MiB: enough full collections that V8 would drop the start-up's compiled code.
      const large = sizeAfterSync(64 * 1024 * 1024);
      expect(large).toBeGreaterThan(small * 0.9);
    } finally {
      await sshd.stop();
    }
  });

  it('a damaged cache is replaced, and the command still runs', () => {
    const i = installation();
    i.run('--version');
    const [name] = cacheFiles(i.cacheDir);
    writeFileSync(join(i.cacheDir, name!), 'not a code cache');
    const r = i.run('--version');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(VERSION);
    expect(statSync(join(i.cacheDir, name!)).size).toBeGreaterThan(1000);
  });

  it('an installation without its bundle says to build it (exit 1), with no stack trace', () => {
    const i = installation();
    rmSync(join(i.root, 'dist', 'arx.cjs'));
    const r = i.run('--version');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('arx: not built yet; run `npm ci && npm run build` in the arx folder\n');
  });

  it('runs without a cache where none can be written', () => {
    const i = installation();
    writeFileSync(i.cacheDir, 'a file where the cache folder would go');
    const r = i.run('--version');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(VERSION);
    rmSync(i.cacheDir);
  });

  it('a rebuilt bundle never runs from the old one\'s cache', () => {
    const i = installation();
    i.run('--version');
    const before = cacheFiles(i.cacheDir);
    // Same size, other content: only the file's time tells them apart.
    const bundle = join(i.root, 'dist', 'arx.cjs');
    const source = readFileSync(bundle, 'utf8');
    expect(source).toContain('"-V, --version"');
    writeFileSync(bundle, source.replaceAll('"-V, --version"', '"-W, --version"'));
    const r = i.run('-W');
    expect(r.stdout.trim()).toBe(VERSION);
    expect(cacheFiles(i.cacheDir)).not.toEqual(before);
  });
});
