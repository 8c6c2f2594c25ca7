/** Run the built `bin/arx` as a user would, in throwaway folders. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARX = join(REPO, 'bin', 'arx');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: its own HOME, no ARX_* variables from the caller. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ARX_')) env[k] = v;
  return { ...env, HOME: home, XDG_DATA_HOME: join(home, '.local', 'share'), ...extra };
}

export function arx(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): RunResult {
  const r = spawnSync(ARX, args, { cwd: opts.cwd, env: opts.env, encoding: 'utf8', input: opts.input, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Run arx without blocking this process (for tests that serve something to it meanwhile). */
export function arxAsync(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(ARX, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Start arx without waiting (for kill tests). */
export function arxSpawn(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  return spawn(ARX, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

const created: string[] = [];

/** A fresh folder, removed after the test file (see cleanup.ts). */
export function tempDir(prefix = 'arx-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function write(root: string, rel: string, content: string | Buffer): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
}

export function read(root: string, rel: string): string {
  return readFileSync(join(root, rel), 'utf8');
}

export function remove(root: string, rel: string): void {
  rmSync(join(root, rel), { recursive: true, force: true });
}

/** Every file (path -> sha256) and folder (path -> 'dir') under root, skipping .arx. */
export function snapshot(root: string, skip: string[] = ['.arx']): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (rel === '' && skip.includes(name)) continue;
      const st = statSync(join(root, p));
      if (st.isDirectory()) {
        out.set(p, 'dir');
        walk(p);
      } else out.set(p, createHash('sha256').update(readFileSync(join(root, p))).digest('hex'));
    }
  };
  walk('');
  return out;
}

/** One project folder with its own HOME, and a runner for arx inside it. */
export interface Project {
  top: string;
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  run(...args: string[]): RunResult;
}

export function singleProject(arxfile: string | object): Project {
  const top = tempDir();
  const home = join(top, 'home');
  const dir = join(top, 'proj');
  mkdirSync(home);
  mkdirSync(dir);
  writeFileSync(join(dir, 'arxfile.json'), typeof arxfile === 'string' ? arxfile : JSON.stringify(arxfile, null, 2));
  const env = cleanEnv(home);
  return { top, home, dir, env, run: (...args: string[]) => arx(args, { cwd: dir, env }) };
}

/** Two project folders (a, b) syncing one project through one local remote folder. */
export interface TwoSided {
  home: string;
  remoteRoot: string;
  /** The project's folder inside the remote root. */
  remote: string;
  a: string;
  b: string;
  /** The environment of side a (its global file is `globalFile('a')`). */
  env: NodeJS.ProcessEnv;
  /** Each side's environment: the same HOME, its own global file (ARX_CONFIG). */
  envOf(side: 'a' | 'b'): NodeJS.ProcessEnv;
  /** Each side's global configuration file, which holds its remote settings. */
  globalFile(side: 'a' | 'b'): string;
  /** Change one side's global configuration (for example its `remote` block). */
  setGlobal(side: 'a' | 'b', change: (cfg: Record<string, any>) => void): void;
  /** Approve one side's command chains as its user would (`arx trust`). */
  trust(side: 'a' | 'b'): RunResult;
  sync(side: 'a' | 'b', ...args: string[]): RunResult;
  run(side: 'a' | 'b', ...args: string[]): RunResult;
  syncJson(side: 'a' | 'b', ...args: string[]): { code: number; status: any; stderr: string };
}

/** How the two sides reach the remote folder: directly, or through a test sshd on loopback. */
export type RemoteKind = { kind: 'local' } | { kind: 'sftp'; port: number; user: string; clientKey: string; knownHosts: string };

export function remoteConfig(r: RemoteKind, remoteRoot: string): Record<string, unknown> {
  if (r.kind === 'local') return { type: 'local', path: remoteRoot };
  // Quick retries: a test server that is down should fail a sync in well under a second.
  return { type: 'sftp', host: '127.0.0.1', port: r.port, username: r.user, key_file: r.clientKey, known_hosts: r.knownHosts, path: remoteRoot, retries: 1, retry_base_ms: 50 };
}

/**
 * The remote settings are local-only (a project file cannot set them), so each
 * side's remote is in its own global file; arxfile.json holds the project.
 */
export function twoSided(projectId = 'p1', arxfileExtra: Record<string, unknown> = {}, remoteKind: RemoteKind = { kind: 'local' }): TwoSided {
  const top = tempDir();
  const home = join(top, 'home');
  const remoteRoot = join(top, 'remote');
  const a = join(top, 'a');
  const b = join(top, 'b');
  for (const d of [home, a, b]) mkdirSync(d, { recursive: true });
  const base = cleanEnv(home);
  const globalFile = (side: 'a' | 'b') => join(home, `arxconfig-${side}.json`);
  const envOf = (side: 'a' | 'b') => ({ ...base, ARX_CONFIG: globalFile(side) });
  for (const side of ['a', 'b'] as const) writeFileSync(globalFile(side), JSON.stringify({ remote: remoteConfig(remoteKind, remoteRoot) }, null, 2) + '\n');
  const arxfile = {
    project_id: projectId,
    name: 'Test project',
    sync: { enabled: true, remote_path: `/projects/${projectId}` },
    ...arxfileExtra,
  };
  for (const d of [a, b]) writeFileSync(join(d, 'arxfile.json'), JSON.stringify(arxfile, null, 2) + '\n');
  const run = (side: 'a' | 'b', ...args: string[]) => arx(args, { cwd: side === 'a' ? a : b, env: envOf(side) });
  return {
    home,
    remoteRoot,
    remote: join(remoteRoot, 'projects', projectId),
    a,
    b,
    env: envOf('a'),
    envOf,
    globalFile,
    setGlobal(side, change) {
      const cfg = JSON.parse(readFileSync(globalFile(side), 'utf8'));
      change(cfg);
      writeFileSync(globalFile(side), JSON.stringify(cfg, null, 2) + '\n');
    },
    trust: (side) => run(side, 'trust', '--quiet'),
    run,
    sync: (side, ...args) => run(side, 'sync', '--quiet', ...args),
    syncJson: (side, ...args) => syncResult(run(side, 'sync', '--json', '--quiet', ...args)),
  };
}

/** What `arx sync --json` printed: its exit code and status (a clear failure when it printed no JSON). */
export function syncResult(r: RunResult): { code: number; status: any; stderr: string } {
  let status: any;
  try {
    status = JSON.parse(r.stdout);
  } catch {
    throw new Error(`sync --json printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, status, stderr: r.stderr };
}

export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
