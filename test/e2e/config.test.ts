/** Layered configuration, validation errors, `config show` and `init`, through the CLI. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arx, cleanEnv, singleProject, snapshot, tempDir, twoSided, write } from '../helpers/cli.js';

const project = singleProject;

const validArxfile = (_remoteRoot: string) => ({ project_id: 'cfg1', name: 'Config test' });

/** The remote is local-only: it is set in the user's global file. */
function withGlobalRemote(p: { home: string }, remote: Record<string, unknown>): void {
  writeFileSync(join(p.home, '.arxconfig.json'), JSON.stringify({ remote }));
}

describe('configuration errors', () => {
  it('a JSON syntax error names the file, line and column; exit 2; nothing touched', () => {
    const p = project('{\n  "project_id": "x",\n  "name": "y"\n  "sync": {}\n}\n');
    write(p.dir, 'symbols/a.json', '{}');
    const before = snapshot(p.dir, []);
    const r = p.run('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/arxfile\.json: invalid JSON at line 4, column 3/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(snapshot(p.dir, [])).toEqual(before);
    expect(existsSync(join(p.home, '.local/share/arx'))).toBe(false);
  });

  it('a field of the wrong type names the JSON path and what was expected', () => {
    const p = project({ project_id: 'x', sync: { parallel: 'four', include_patterns: ['*.json', 3] } });
    const r = p.run('sync');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('and 1 more');
    const v = p.run('sync', '--verbose');
    expect(v.stderr).toContain('arxfile.json: sync.parallel: expected number, received string');
    expect(v.stderr).toContain('arxfile.json: sync.include_patterns[1]: expected string, received number');
  });

  it('a bad enum value lists the allowed values', () => {
    const p = project({ project_id: 'x', sync: { conflict_resolution: 'newest' } });
    const r = p.run('config', 'show');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sync.conflict_resolution: expected one of "manual", "auto"');
  });

  it('unknown keys are warnings, not errors', () => {
    const remote = join(tempDir(), 'r');
    const p = project({ ...validArxfile(remote), colour: 'blue', sync: { turbo: true } });
    const r = p.run('sync');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('unknown key colour is ignored');
    expect(r.stderr).toContain('unknown key sync.turbo is ignored');
  });

  it('a password in the global file is refused and not echoed; in arxfile.json it is ignored with a warning', () => {
    const p = project({ project_id: 'x' });
    withGlobalRemote(p, { type: 'sftp', host: 'h', password: 'hunter2' });
    const r = p.run('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('remote.password: secrets are not read from JSON files');
    expect(r.stderr).toContain('ARX_REMOTE_PASSWORD');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
    // A project file travels: a secret in it must not stop every replica, and is never used.
    const q = project({ project_id: 'x', remote: { type: 'sftp', host: 'h', password: 'hunter3' } });
    const shown = q.run('config', 'show');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain('arxfile.json: remote.password is ignored: secrets are never read from a project file');
    expect(shown.stdout + shown.stderr).not.toContain('hunter3');
  });

  it('a missing project says how to create one', () => {
    const dir = tempDir();
    const r = arx(['sync'], { cwd: dir, env: cleanEnv(dir) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run `arx init`');
  });

  it('a bad environment variable names the variable', () => {
    const p = project(validArxfile(join(tempDir(), 'r')));
    const r = arx(['sync'], { cwd: p.dir, env: { ...p.env, ARX_REMOTE_PORT: 'ssh' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ARX_REMOTE_PORT: expected a port number 1-65535, got "ssh"');
  });

  it('a broken global file names line and column and never echoes its content', () => {
    const p = project(validArxfile(join(tempDir(), 'r')));
    const globalFile = join(p.top, 'global.json');
    writeFileSync(globalFile, '{"remote": {"type": "sftp", "host": "h",\n  "key_file": s3cr3t-value}}');
    const r = arx(['sync'], { cwd: p.dir, env: { ...p.env, ARX_CONFIG: globalFile } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('global.json: invalid JSON at line 2, column 15');
    expect(r.stderr).not.toContain('s3cr3t');
  });

  it('environment values obey the same limits as the files', () => {
    const p = project(validArxfile(join(tempDir(), 'r')));
    const r = arx(['sync'], { cwd: p.dir, env: { ...p.env, ARX_SYNC_PARALLEL: '100000' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ARX_SYNC_PARALLEL');
  });

  it('a remote folder inside the project is refused, also through a symbolic link', () => {
    const p = project({ project_id: 'x' });
    withGlobalRemote(p, { type: 'local', path: 'sub' });
    const r = p.run('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('overlaps the project folder');
    symlinkSync(p.dir, join(p.top, 'alias'));
    withGlobalRemote(p, { type: 'local', path: join(p.top, 'alias', 'inner') });
    const viaLink = p.run('sync');
    expect(viaLink.code).toBe(2);
    expect(viaLink.stderr).toContain('overlaps the project folder');
  });

  it('usage errors exit 2', () => {
    const p = project(validArxfile(join(tempDir(), 'r')));
    expect(p.run('sync', '--no-such-flag').code).toBe(2);
    expect(p.run('frobnicate').code).toBe(2);
    expect(p.run('history', '--limit', 'lots').code).toBe(2);
    expect(p.run('status', 'sync_19990101_000000').code).toBe(2);
  });
});

describe('configuration layers', () => {
  it('global < project < .env < .env.<ARX_ENV> < environment, with the source of each value and secrets masked', () => {
    const remote = join(tempDir(), 'r');
    const p = project({ project_id: 'layers', sync: { parallel: 3 } });
    const globalFile = join(p.top, 'global.json');
    writeFileSync(globalFile, JSON.stringify({ sync: { interval: 60, parallel: 2, auto_backup: false }, remote: { type: 'local', path: remote } }));
    writeFileSync(join(p.dir, '.env'), 'ARX_SYNC_INTERVAL=120\nARX_REMOTE_PASSWORD=s3cret-pass\nARX_CONFLICT_RESOLUTION=auto\n');
    writeFileSync(join(p.dir, '.env.staging'), 'ARX_SYNC_INTERVAL=180\n');
    const env = { ...p.env, ARX_CONFIG: globalFile, ARX_ENV: 'staging', ARX_SYNC_PARALLEL: '7' };
    const r = arx(['config', 'show', '--json'], { cwd: p.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.config.sync.interval).toBe(180);
    expect(shown.sources['sync.interval']).toBe('.env.staging');
    expect(shown.config.sync.parallel).toBe(7);
    expect(shown.sources['sync.parallel']).toBe('environment');
    expect(shown.config.sync.auto_backup).toBe(false);
    expect(shown.sources['sync.auto_backup']).toBe(`global (${globalFile})`);
    expect(shown.config.sync.conflict_resolution).toBe('auto');
    expect(shown.sources['sync.conflict_resolution']).toBe('.env');
    expect(shown.config.remote.password).toBe('***');
    expect(shown.sources['sync.max_delete_percent']).toBe('default');
    expect(shown.remote_folder).toBe(join(remote, 'projects', 'layers'));
    const human = arx(['config', 'show'], { cwd: p.dir, env });
    expect(human.stdout).toMatch(/sync\.interval\s+180\s+\.env\.staging/);
    expect(human.stdout + human.stderr).not.toContain('s3cret-pass');
    expect(human.stdout).toContain('***');
  });

  it('ARX_CONFIG naming a file inside the project (which travels) is refused', () => {
    const p = project({ project_id: 'x' });
    write(p.dir, 'settings/arxconfig.json', JSON.stringify({ remote: { type: 'local', path: join(p.top, 'r') } }));
    const r = arx(['sync'], { cwd: p.dir, env: { ...p.env, ARX_CONFIG: 'settings/arxconfig.json' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('inside the project folder: that file would travel with the project');
    expect(existsSync(join(p.top, 'r'))).toBe(false);
  });

  it('ARX_CONFIG naming a missing file is an error', () => {
    const p = project(validArxfile(join(tempDir(), 'r')));
    const r = arx(['config', 'show'], { cwd: p.dir, env: { ...p.env, ARX_CONFIG: join(p.top, 'nope.json') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.json, which does not exist');
  });

  it('an environment override of remote.type drops the global remote fields', () => {
    const remote = join(tempDir(), 'r');
    const p = project(validArxfile(remote));
    withGlobalRemote(p, { type: 'sftp', host: 'files.example.com', port: 2222, username: 'bob' });
    const r = arx(['config', 'show', '--json'], { cwd: p.dir, env: { ...p.env, ARX_REMOTE_TYPE: 'local', ARX_REMOTE_PATH: remote } });
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.config.remote).toEqual({ type: 'local', path: remote });
  });

  it('finds arxfile.json from a sub-folder, or through --project', () => {
    const remote = join(tempDir(), 'r');
    const p = project(validArxfile(remote));
    mkdirSync(join(p.dir, 'symbols/deep'), { recursive: true });
    const r = arx(['config', 'show', '--json'], { cwd: join(p.dir, 'symbols/deep'), env: p.env });
    expect(JSON.parse(r.stdout).project_root).toBe(p.dir);
    const other = tempDir();
    const r2 = arx(['--project', p.dir, 'config', 'show', '--json'], { cwd: other, env: p.env });
    expect(JSON.parse(r2.stdout).project_root).toBe(p.dir);
    const r3 = arx(['--project', other, 'sync'], { cwd: other, env: p.env });
    expect(r3.code).toBe(2);
  });

  it('sync.enabled false refuses to sync', () => {
    const p = project({ ...validArxfile(join(tempDir(), 'r')), sync: { enabled: false } });
    const r = p.run('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sync is disabled');
  });
});

describe('arx init', () => {
  it('lays out the project structure with a valid arxfile.json that syncs', () => {
    const top = tempDir();
    const dir = join(top, 'Tower A');
    mkdirSync(dir);
    const env = cleanEnv(join(top, 'home'));
    const r = arx(['init', '--project-id', 'tower-a', '--name', 'Tower A'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const arxfile = JSON.parse(readFileSync(join(dir, 'arxfile.json'), 'utf8'));
    expect(arxfile.project_id).toBe('tower-a');
    expect(arxfile.name).toBe('Tower A');
    expect(arxfile.sync.remote_path).toBe('/projects/tower-a');
    for (const d of ['symbols/mechanical', 'symbols/electrical', 'symbols/security', 'rules', 'models', 'reports']) {
      expect(existsSync(join(dir, d))).toBe(true);
    }
    expect(readFileSync(join(dir, '.arxignore'), 'utf8')).toContain('node_modules/');
    const s = arx(['sync'], { cwd: dir, env });
    expect(s.code, s.stderr).toBe(0);
    expect(existsSync(join(top, 'home/.local/share/arx/remote/projects/tower-a/arxfile.json'))).toBe(true);
  });

  it('never overwrites an existing arxfile.json', () => {
    const t = twoSided();
    const before = readFileSync(join(t.a, 'arxfile.json'), 'utf8');
    const r = t.run('a', 'init', '--project-id', 'other');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already exists');
    expect(readFileSync(join(t.a, 'arxfile.json'), 'utf8')).toBe(before);
  });

  it('rejects a project id with slashes', () => {
    const dir = tempDir();
    const r = arx(['init', '--project-id', '../evil'], { cwd: dir, env: cleanEnv(dir) });
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'arxfile.json'))).toBe(false);
  });
});
