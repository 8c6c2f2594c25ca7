/**
 * Everything a user can type or a file can hold, through the built CLI: bad
 * options and arguments, control characters, names that do not exist, FIFOs,
 * devices, folders and huge files where a file of settings should be, broken
 * JSON, wrong types, unwritable and full disks. None may end in exit 1, an
 * "internal error" or a stack trace; each gets its documented exit code and a
 * message that names the option, field or file. Every run is bounded in time,
 * so a FIFO that made arx wait would fail the test rather than hang it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARX, arxAsync, cleanEnv, tempDir, write } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;

/** One project folder with its own HOME and a local remote in its global file (ARX_CONFIG). */
interface Fixture {
  top: string;
  dir: string;
  home: string;
  globalFile: string;
  env: NodeJS.ProcessEnv;
}

const ARXFILE = { project_id: 'bad1', name: 'Bad input', sync: { remote_path: '/projects/bad1' } };

function fixture(dir?: string): Fixture {
  const top = tempDir('arx-bad-');
  const home = join(top, 'home');
  const proj = dir ?? join(top, 'proj');
  mkdirSync(home, { recursive: true });
  mkdirSync(proj, { recursive: true });
  writeFileSync(join(proj, 'arxfile.json'), JSON.stringify(ARXFILE, null, 2) + '\n');
  const globalFile = join(home, 'arxconfig.json');
  writeFileSync(globalFile, JSON.stringify({ remote: { type: 'local', path: join(top, 'remote') } }) + '\n');
  return { top, dir: proj, home, globalFile, env: cleanEnv(home, { ARX_CONFIG: globalFile }) };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  ms: number;
}

/** A run that can never hang the test: killed after 20 s. */
function run(f: Fixture, args: string[], env: Record<string, string> = {}): Run {
  const started = Date.now();
  const r = spawnSync(ARX, args, { cwd: f.dir, env: { ...f.env, ...env }, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}`, ms: Date.now() - started };
}

/** What every run must show, whatever the input. */
function expectClean(r: Run, code: number, names: string | RegExp): void {
  expect(r.signal, `killed (hung?) after ${r.ms} ms:\n${r.out}`).toBeNull();
  expect(r.out).not.toMatch(/internal error/);
  expect(r.out, 'a stack trace').not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.code, r.out).not.toBe(1);
  expect(r.code, r.out).toBe(code);
  if (typeof names === 'string') expect(r.out).toContain(names);
  else expect(r.out).toMatch(names);
}

function fifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed`);
}

/** The ways a file of settings can be something else: created at `path`. */
const NOT_A_FILE: Record<string, { make: (path: string) => void; says: RegExp }> = {
  fifo: { make: fifo, says: /is a named pipe \(FIFO\), expected a file/ },
  // Read through a link: /dev/zero would otherwise be read for ever.
  device: { make: (p) => symlinkSync('/dev/zero', p), says: /is a device, expected a file/ },
  folder: { make: (p) => mkdirSync(p), says: /is a folder, expected a file/ },
  // Sparse: takes no space on disk.
  huge: {
    make: (p) => {
      writeFileSync(p, '');
      truncateSync(p, 65 * 1024 * 1024);
    },
    says: /is larger than \d+ MiB/,
  },
};

interface Case {
  name: string;
  args: string[];
  code: number;
  /** Text the output must hold: the option, field or file. */
  names: string | RegExp | ((f: Fixture) => string | RegExp);
  /** Changes before the run; may return extra environment variables. */
  setup?: (f: Fixture) => Record<string, string> | void;
  env?: Record<string, string>;
}

const COMMANDS: string[][] = [
  ['init'],
  ['sync'],
  ['status'],
  ['history'],
  ['conflicts'],
  ['resolve', 'a.txt', '--keep', 'local'],
  ['backups'],
  ['restore', 'sync_x'],
  ['config', 'show'],
  ['trust'],
  ['remote', 'trust'],
  ['validate-symbols'],
  ['update-index'],
  ['test'],
  ['generate-reports'],
  ['notify'],
];

const cases: Case[] = [];

// Unknown options and extra arguments, on every command.
for (const cmd of COMMANDS) {
  cases.push({ name: `${cmd.join(' ')} --bogus`, args: [...cmd, '--bogus'], code: 2, names: "unknown option '--bogus'" });
  if (!['resolve', 'restore', 'status'].includes(cmd[0]!)) {
    cases.push({ name: `${cmd.join(' ')} with an extra argument`, args: [...cmd, 'extra'], code: 2, names: 'too many arguments' });
  }
}
cases.push(
  { name: 'status with two sync ids', args: ['status', 'a', 'b'], code: 2, names: 'too many arguments' },
  { name: 'resolve without a path', args: ['resolve', '--keep', 'local'], code: 2, names: 'name the conflicts to settle' },
  { name: 'resolve without --keep', args: ['resolve', 'a.txt'], code: 2, names: '--keep' },
  { name: 'resolve --keep sideways', args: ['resolve', 'a.txt', '--keep', 'sideways'], code: 2, names: '--keep' },
  { name: 'restore without a sync id', args: ['restore'], code: 2, names: "missing required argument 'syncId'" },
  { name: 'restore --side up', args: ['restore', 'sync_x', '--side', 'up'], code: 2, names: '--side' },
  { name: 'history --limit without a value', args: ['history', '--limit'], code: 2, names: '--limit' },
  { name: 'trust --check --revoke', args: ['trust', '--check', '--revoke'], code: 2, names: '--check and --revoke' },
  { name: 'an unknown command', args: ['frobnicate'], code: 2, names: "unknown command 'frobnicate'" },
);

// Numbers.
for (const n of ['-1', '0', '1.5', 'abc', '1e3', '99999999999999999999', '1000001', ' 5']) {
  cases.push({ name: `history --limit ${JSON.stringify(n)}`, args: ['history', '--limit', n], code: 2, names: '--limit' });
}

// Control characters in arguments (NUL cannot be passed in an argument; it can in a file, below).
cases.push(
  { name: 'status with a control character', args: ['status', 'sync\x01'], code: 2, names: 'no sync' },
  { name: 'restore with a control character', args: ['restore', 'sync\x07'], code: 2, names: 'no backup set' },
  { name: 'resolve with a control character', args: ['resolve', 'a\x01b', '--keep', 'local'], code: 2, names: 'no open conflict' },
  { name: '--project with a control character', args: ['--project', '/nonexistent\x01dir', 'status'], code: 2, names: '--project' },
  { name: 'notify --channel with a tab', args: ['notify', '--channel', 'a\tb'], code: 2, names: 'notification channel' },
  { name: 'init --project-id with a control character', args: ['init', '--project-id', 'a\x01', '--project', 'newproj'], code: 2, names: '--project-id' },
  { name: 'remote trust --fingerprint with a control character', args: ['remote', 'trust', '--fingerprint', 'x\x01'], code: 2, names: '--fingerprint' },
  { name: 'validate-symbols --schema with a control character', args: ['validate-symbols', '--schema', '/nonexistent\x01'], code: 2, names: 'no such file' },
);

// Control characters in the environment and in files.
for (const [name, key] of [
  ['ARX_SYNC_REMOTE_PATH', 'sync.remote_path'],
  ['ARX_REMOTE_PATH', 'remote.path'],
  ['ARX_REMOTE_HOST', 'remote.host'],
  ['ARX_REMOTE_USERNAME', 'remote.username'],
  ['ARX_REMOTE_KEY_FILE', 'remote.key_file'],
  ['ARX_REMOTE_KNOWN_HOSTS', 'remote.known_hosts'],
] as const) {
  cases.push({ name: `${name} with a control character`, args: ['sync'], env: { [name]: '/tmp/a\x01b' }, code: 2, names: new RegExp(`${name}: ${key.replace('.', '\\.')}: must not contain control characters`) });
}
cases.push(
  { name: 'ARX_CONFIG with a tab', args: ['config', 'show'], env: { ARX_CONFIG: '/tmp/a\tb.json' }, code: 2, names: 'ARX_CONFIG: must not contain control characters' },
  {
    name: '.env with a line break in a path',
    args: ['sync'],
    setup: (f) => void writeFileSync(join(f.dir, '.env'), 'ARX_REMOTE_PATH="/tmp/a\\nb"\n'),
    code: 2,
    names: /\.env ARX_REMOTE_PATH: remote\.path: must not contain control characters/,
  },
);
const withSync = (sync: Record<string, unknown>) => JSON.stringify({ ...ARXFILE, sync: { ...ARXFILE.sync, ...sync } });
for (const [what, text, field] of [
  ['sync.remote_path', withSync({ remote_path: '/projects/a\u0000b' }), 'sync.remote_path'],
  ['an exclude pattern', withSync({ exclude_patterns: ['*.tmp', 'a\u0000b'] }), 'sync.exclude_patterns[1]'],
  ['an include pattern', withSync({ include_patterns: ['a\u0001b'] }), 'sync.include_patterns[0]'],
  ['a conflict rule pattern', withSync({ conflict_rules: [{ pattern: 'a\u0000', policy: 'local' }] }), 'sync.conflict_rules[0].pattern'],
  ['a command', JSON.stringify({ ...ARXFILE, commands: { pre_sync: [{ name: 'x', command: 'echo a\u0000b' }] } }), '.command: must not contain a NUL'],
] as const) {
  cases.push({ name: `NUL in ${what} (arxfile.json)`, args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), text), code: 2, names: field });
}
for (const key of ['path', 'key_file', 'known_hosts', 'host', 'username']) {
  cases.push({
    name: `NUL in remote.${key} (global file)`,
    args: ['sync'],
    setup: (f) => void writeFileSync(f.globalFile, JSON.stringify({ remote: { type: 'local', [key]: 'a\u0000b' } })),
    code: 2,
    names: `remote.${key}: must not contain control characters`,
  });
}

// Names that do not exist.
cases.push(
  { name: 'status of an unknown sync', args: ['status', 'sync_19700101_000000'], code: 2, names: 'no sync sync_19700101_000000' },
  { name: 'restore of an unknown set', args: ['restore', 'sync_nope'], code: 2, names: 'no backup set sync_nope' },
  { name: 'resolve of a path without a conflict', args: ['resolve', 'nope.txt', '--keep', 'local'], code: 2, names: 'nope.txt' },
  { name: 'notify through an unknown channel', args: ['notify', '--channel', 'nope'], code: 2, names: '"nope"' },
  { name: 'agent: an unknown command', args: ['agent', 'bogus'], code: 2, names: "unknown command 'bogus'" },
  { name: 'agent add without a folder', args: ['agent', 'add'], code: 2, names: "missing required argument 'dir'" },
  { name: 'agent add of a folder without arxfile.json', args: ['agent', 'add', '/tmp'], code: 2, names: '/tmp: has no arxfile.json' },
  { name: 'agent remove of a folder not listed', args: ['agent', 'remove', '/nonexistent/p'], code: 2, names: '/nonexistent/p is not in the agent' },
  { name: 'agent log --lines that is no number', args: ['agent', 'log', '--lines', '-3'], code: 2, names: '--lines: expected a whole number' },
  { name: '--schema that does not exist', args: ['validate-symbols', '--schema', 'nope.json'], code: 2, names: 'nope.json: no such file' },
  { name: '--project that does not exist', args: ['--project', '/nonexistent/arx', 'sync'], code: 2, names: '--project /nonexistent/arx' },
  { name: 'ARX_CONFIG that does not exist', args: ['sync'], env: { ARX_CONFIG: '/nonexistent/arx.json' }, code: 2, names: 'ARX_CONFIG names /nonexistent/arx.json' },
  {
    name: 'remote.key_file that does not exist',
    args: ['sync'],
    setup: (f) => void writeFileSync(f.globalFile, JSON.stringify({ remote: { type: 'sftp', host: '127.0.0.1', port: 1, username: 'u', key_file: '/nonexistent/id_ed25519', path: '/srv' } })),
    code: 2,
    names: 'remote.key_file: cannot read /nonexistent/id_ed25519 (ENOENT)',
  },
);

// A FIFO, a device, a folder or a huge file where a file of settings belongs.
for (const [kind, { make, says }] of Object.entries(NOT_A_FILE)) {
  cases.push(
    { name: `arxfile.json is a ${kind}: sync`, args: ['sync'], setup: (f) => replace(f, 'arxfile.json', make), code: 2, names: new RegExp(`arxfile\\.json: ${says.source}`) },
    { name: `arxfile.json is a ${kind}: config show`, args: ['config', 'show'], setup: (f) => replace(f, 'arxfile.json', make), code: 2, names: says },
    { name: `arxfile.json is a ${kind}: validate-symbols`, args: ['validate-symbols'], setup: (f) => replace(f, 'arxfile.json', make), code: 2, names: says },
    // Documented: these work with a broken arxfile.json (a warning), so it can be put back.
    { name: `arxfile.json is a ${kind}: status still answers`, args: ['status'], setup: (f) => replace(f, 'arxfile.json', make), code: 0, names: says },
    { name: `arxfile.json is a ${kind}: backups still answers`, args: ['backups'], setup: (f) => replace(f, 'arxfile.json', make), code: 0, names: says },
    { name: `ARX_CONFIG is a ${kind}`, args: ['sync'], setup: (f) => ({ ARX_CONFIG: made(f, 'global-bad', make) }), code: 2, names: new RegExp(`global-bad: ${says.source}`) },
    { name: `.env is a ${kind}`, args: ['sync'], setup: (f) => void make(join(f.dir, '.env')), code: 2, names: new RegExp(`\\.env: ${says.source}`) },
    { name: `.env.staging is a ${kind}`, args: ['config', 'show'], env: { ARX_ENV: 'staging' }, setup: (f) => void make(join(f.dir, '.env.staging')), code: 2, names: new RegExp(`\\.env\\.staging: ${says.source}`) },
    { name: `--schema is a ${kind}`, args: ['validate-symbols', '--schema', 'schema-bad'], setup: (f) => void make(join(f.dir, 'schema-bad')), code: 2, names: new RegExp(`schema-bad: ${says.source}`) },
  );
  // Checked before anything is sent: the server here is not even there (port 1).
  cases.push({
    name: `remote.key_file is a ${kind}`,
    args: ['sync'],
    setup: (f) => {
      const key = made(f, 'key-bad', make);
      writeFileSync(f.globalFile, JSON.stringify({ remote: { type: 'sftp', host: '127.0.0.1', port: 1, username: 'u', key_file: key, path: '/srv' } }));
    },
    code: 2,
    names: new RegExp(`remote\\.key_file .*key-bad: ${says.source}`),
  });
  // A huge .arxignore within its own (larger) limit is covered by the sync tests; 65 MiB is over it.
  cases.push({ name: `.arxignore is a ${kind}`, args: ['sync'], setup: (f) => void make(join(f.dir, '.arxignore')), code: 2, names: new RegExp(`\\.arxignore: ${says.source}`) });
}
cases.push(
  { name: '--report is a FIFO', args: ['validate-symbols', '--report', 'out'], setup: (f) => fifo(join(f.dir, 'out')), code: 2, names: 'out: is a named pipe (FIFO), expected a file' },
  { name: '--report is a folder', args: ['validate-symbols', '--report', 'out'], setup: (f) => void mkdirSync(join(f.dir, 'out')), code: 2, names: 'out: is a folder, expected a file' },
  { name: '--report under a file', args: ['validate-symbols', '--report', 'arxfile.json/out'], code: 2, names: 'arxfile.json/out: a part of the path is a file' },
  { name: 'init --project at a file', args: ['init', '--project', 'arxfile.json'], code: 2, names: 'arxfile.json is a file, not a folder' },
  { name: 'init --project under a file', args: ['init', '--project', 'arxfile.json/sub'], code: 2, names: 'arxfile.json is a file, not a folder' },
  { name: 'init --project under /proc', args: ['init', '--project', '/proc/arx-test-project'], code: 2, names: '/proc/arx-test-project' },
);

// Broken JSON and wrong types.
cases.push(
  { name: 'arxfile.json with broken JSON', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), '{"project_id": "bad1",\n'), code: 2, names: /arxfile\.json: invalid JSON at line \d+, column \d+/ },
  { name: 'arxfile.json that is an array', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), '[]'), code: 2, names: 'arxfile.json' },
  { name: 'arxfile.json that is empty', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), ''), code: 2, names: 'arxfile.json' },
  { name: 'arxfile.json with a wrong type', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), withSync({ parallel: 'four' })), code: 2, names: 'sync.parallel' },
  { name: 'arxfile.json with a huge number', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), withSync({ parallel: 1e300 })), code: 2, names: 'sync.parallel' },
  { name: 'arxfile.json with a negative number', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), withSync({ max_delete_percent: -5 })), code: 2, names: 'sync.max_delete_percent' },
  { name: 'project_id of a wrong type', args: ['sync'], setup: (f) => void writeFileSync(join(f.dir, 'arxfile.json'), JSON.stringify({ project_id: 5 })), code: 2, names: 'project_id' },
  { name: 'global file with broken JSON', args: ['sync'], setup: (f) => void writeFileSync(f.globalFile, '{'), code: 2, names: /arxconfig\.json: invalid JSON/ },
  { name: 'global file with a wrong type', args: ['sync'], setup: (f) => void writeFileSync(f.globalFile, JSON.stringify({ remote: { type: 'sftp', host: 'h', port: 'x' } })), code: 2, names: 'remote.port' },
  { name: '--schema with broken JSON', args: ['validate-symbols', '--schema', 's.json'], setup: (f) => void writeFileSync(join(f.dir, 's.json'), '{'), code: 2, names: 's.json: invalid JSON' },
  { name: '--schema that is not an object', args: ['validate-symbols', '--schema', 's.json'], setup: (f) => void writeFileSync(join(f.dir, 's.json'), '[1]'), code: 2, names: 's.json: a JSON Schema must be an object' },
  { name: 'ARX_SYNC_PARALLEL not a number', args: ['sync'], env: { ARX_SYNC_PARALLEL: 'abc' }, code: 2, names: 'ARX_SYNC_PARALLEL' },
  { name: 'ARX_SYNC_PARALLEL too large', args: ['sync'], env: { ARX_SYNC_PARALLEL: '99999999999999999999' }, code: 2, names: 'ARX_SYNC_PARALLEL' },
  { name: 'ARX_REMOTE_PORT out of range', args: ['sync'], env: { ARX_REMOTE_PORT: '70000' }, code: 2, names: 'ARX_REMOTE_PORT' },
  { name: 'ARX_MAX_DELETE_PERCENT negative', args: ['sync'], env: { ARX_MAX_DELETE_PERCENT: '-1' }, code: 2, names: 'ARX_MAX_DELETE_PERCENT' },
  { name: 'ARX_ENV with a slash', args: ['sync'], env: { ARX_ENV: '../x' }, code: 2, names: 'ARX_ENV' },
);

/** Put something else in place of a project file. */
function replace(f: Fixture, name: string, make: (path: string) => void): void {
  const path = join(f.dir, name);
  spawnSync('rm', ['-f', path]);
  make(path);
}

function made(f: Fixture, name: string, make: (path: string) => void): string {
  const path = join(f.home, name);
  make(path);
  return path;
}

describe('bad input: no exit 1, no internal error, no stack trace; the documented code, naming the culprit', () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = fixture();
      const extra = c.setup?.(f) ?? {};
      const r = run(f, c.args, { ...c.env, ...extra });
      expectClean(r, c.code, typeof c.names === 'function' ? c.names(f) : c.names);
      if (/fifo/i.test(c.name)) expect(r.ms).toBeLessThan(10_000);
    });
  }

  it('--report on a device node is refused, and the device stays a device', (ctx) => {
    if (!isRoot) ctx.skip(); // mknod needs root
    const f = fixture();
    const dev = join(f.dir, 'null-device');
    expect(spawnSync('mknod', [dev, 'c', '1', '3']).status).toBe(0);
    expectClean(run(f, ['validate-symbols', '--report', dev]), 2, `${dev}: is a device, expected a file`);
    expect(spawnSync('test', ['-c', dev]).status).toBe(0);
  });
});

/** A small file system of our own: tmpfs, where mounting is allowed (root, no seccomp veto). */
function tryMount(dir: string, opts: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]).status === 0;
}

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
});

const canMount = (() => {
  if (!isRoot) return false;
  const probe = tempDir('arx-mount-probe-');
  const ok = tryMount(join(probe, 'm'), 'size=64k');
  if (ok) spawnSync('umount', [join(probe, 'm')]);
  return ok;
})();

describe('unwritable folders', () => {
  // As root, permission bits do not stop a write: a read-only file system does (EROFS, exit 6 as a permission fault).
  it('init into a folder that cannot be written: exit 6 naming it', () => {
    const f = fixture();
    let target: string;
    if (isRoot) {
      if (!canMount) return void console.warn('skipped: cannot mount a read-only tmpfs here');
      target = join(f.top, 'ro');
      expect(tryMount(target, 'size=64k,ro')).toBe(true);
      mounts.push(target);
    } else {
      target = join(f.top, 'locked');
      mkdirSync(target);
      chmodSync(target, 0o555);
    }
    const r = run(f, ['init', '--project', join(target, 'proj')]);
    expectClean(r, 6, join(target, 'proj'));
    expect(r.out).toMatch(/read-only file system|permission denied/);
  });

  it.skipIf(!canMount)('a project on a read-only disk: sync exits 6 naming .arx, status and history still answer', () => {
    const top = tempDir('arx-bad-ro-');
    const dir = join(top, 'proj');
    expect(tryMount(dir, 'size=256k')).toBe(true);
    mounts.push(dir);
    const f = fixture(dir);
    expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
    expectClean(run(f, ['sync']), 6, join(dir, '.arx'));
    expectClean(run(f, ['status']), 0, 'no syncs yet');
    expectClean(run(f, ['history']), 0, 'no syncs yet');
    expectClean(run(f, ['conflicts']), 0, 'no open conflicts');
    expectClean(run(f, ['validate-symbols', '--report', 'r.json']), 6, 'r.json');
  });
});

describe.skipIf(!canMount)('a full disk on the project side', () => {
  it('a download that does not fit: exit 5, "disk full" naming the file; status, history and conflicts answer on the full disk', () => {
    const top = tempDir('arx-bad-full-');
    const dir = join(top, 'proj');
    expect(tryMount(dir, 'size=2m')).toBe(true);
    mounts.push(dir);
    const f = fixture(dir);
    expectClean(run(f, ['sync', '--quiet']), 0, '');
    const remote = join(f.top, 'remote', 'projects', 'bad1');
    write(remote, 'models/big.bin', Buffer.alloc(3 * 1024 * 1024, 7));
    const r = run(f, ['sync', '--json']);
    expectClean(r, 5, `disk full (no space left on device): writing ${join(dir, 'models', 'big.bin')}`);
    const status = JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1)) as { status: string; errors: { type: string; code: string }[] };
    expect(status.status).toBe('failed');
    expect(status.errors[0]).toMatchObject({ type: 'local', code: 'DISK_FULL' });

    // Now fill the disk to the last byte: the state cannot grow, yet the read-only commands answer.
    spawnSync('sh', ['-c', `cat /dev/zero > ${join(dir, 'filler')}`]);
    for (const cmd of [['status'], ['history'], ['conflicts'], ['status', '--json']]) {
      const s = run(f, cmd);
      expectClean(s, 0, cmd[0] === 'conflicts' ? 'no open conflicts' : 'sync_');
      expect(s.out).not.toMatch(/move it away/);
    }
    // A sync cannot even take its lock: exit 5, disk full, naming the state folder.
    expectClean(run(f, ['sync']), 5, `disk full (no space left on device): locking the project (${join(dir, '.arx')}`);
  });
});

describe('files that vanish or change while a sync runs', () => {
  it('are warnings naming them; the rest completes (status completed, exit 0)', async () => {
    const f = fixture();
    writeFileSync(join(f.dir, 'arxfile.json'), withSync({ parallel: 1 }));
    // Folders are created before any file is copied: deleting files as soon as the remote has
    // its first folder deletes them after the scan and before their copy.
    for (let i = 0; i < 40; i++) write(f.dir, `big/f${String(i).padStart(2, '0')}.bin`, Buffer.alloc(1_200_000, i));
    for (let i = 0; i < 200; i++) write(f.dir, `small/s${String(i).padStart(3, '0')}.txt`, `small ${i}\n`);
    const remote = join(f.top, 'remote', 'projects', 'bad1');
    const pending = arxAsync(['sync', '--json', '--quiet'], { cwd: f.dir, env: f.env });
    const { existsSync, rmSync } = await import('node:fs');
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!existsSync(join(remote, 'big')) && !existsSync(join(remote, 'small'))) return;
        clearInterval(timer);
        for (let i = 20; i < 40; i++) rmSync(join(f.dir, `big/f${String(i).padStart(2, '0')}.bin`));
        for (let i = 100; i < 200; i++) rmSync(join(f.dir, `small/s${String(i).padStart(3, '0')}.txt`));
        writeFileSync(join(f.dir, 'big/f19.bin'), 'changed meanwhile');
        resolve();
      }, 1);
    });
    const r = await pending;
    const status = JSON.parse(r.stdout) as { status: string; errors: unknown[]; warnings: string[]; files_uploaded: number };
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code, r.stderr).toBe(0);
    expect(status.status).toBe('completed');
    expect(status.errors).toEqual([]);
    const vanished = status.warnings.filter((w) => / vanished while it was being synced/.test(w));
    expect(vanished.length).toBeGreaterThan(0);
    expect(vanished.some((w) => w.startsWith('small/s1') || w.startsWith('big/f2') || w.startsWith('big/f3'))).toBe(true);
    // What stayed was synced; the next sync finds nothing more to do and no error.
    expect(status.files_uploaded).toBeGreaterThanOrEqual(100 + 19);
    const again = run(f, ['sync', '--json', '--quiet']);
    expectClean(again, 0, '"status": "completed"');
  });
});
