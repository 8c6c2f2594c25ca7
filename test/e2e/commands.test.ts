/** pre_sync / post_sync command chains, through the CLI, with real shells and processes. */
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARX, arx, arxSpawn, cleanEnv, read, snapshot, tempDir, twoSided, write } from '../helpers/cli.js';

type Entry = { name: string; command: string; timeout?: number; required?: boolean };

function project(chains: { pre_sync?: Entry[]; post_sync?: Entry[] }) {
  const t = twoSided('p1', { commands: chains });
  // The chains are this user's own: approved as `arx trust` would (a bad one is refused there too).
  if ((chains.pre_sync?.length ?? 0) + (chains.post_sync?.length ?? 0) > 0) t.trust('a');
  return { ...t, trace: join(t.home, 'trace.log') };
}

/** Appends "<label> <phase> <sync id> <project id> <project root>" to the trace file. */
const traced = (label: string, trace: string) => `echo "${label} $ARX_PHASE $ARX_SYNC_ID $ARX_PROJECT_ID $ARX_PROJECT_ROOT" >> '${trace}'`;

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('command chains', () => {
  it('runs pre_sync, then the sync, then post_sync, in order, in the project root, with the sync environment', () => {
    const t = project({});
    const trace = t.trace;
    const chains = {
      pre_sync: [
        { name: 'first', command: `${traced('first', trace)}; command -v arx >> '${trace}'; pwd >> '${trace}'`, timeout: 30, required: true },
        // The file uploaded by this sync exists before it is scanned.
        { name: 'second', command: `${traced('second', trace)}; echo made-by-pre-sync > symbols/generated.json`, timeout: 30, required: true },
      ],
      post_sync: [{ name: 'third', command: `${traced('third', trace)}; ls "${t.remote}/symbols" >> '${trace}'`, timeout: 30, required: true }],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }, null, 2));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/a.json', '{}');

    const r = t.syncJson('a');
    expect(r.code).toBe(0);
    const id = r.status.sync_id;
    const root = realpathSync(t.a);
    expect(lines(trace)).toEqual([
      `first pre_sync ${id} p1 ${root}`,
      join(realpathSync(join(ARX, '..')), 'arx'),
      root,
      `second pre_sync ${id} p1 ${root}`,
      `third post_sync ${id} p1 ${root}`,
      // post_sync runs after the transfer: the remote already has both files.
      'a.json',
      'generated.json',
    ]);
    expect(read(t.remote, 'symbols/generated.json')).toBe('made-by-pre-sync\n');
    expect(r.status.commands_executed).toBe(3);
    expect(r.status.commands.map((c: any) => [c.phase, c.name, c.exit_code, c.success, c.timed_out])).toEqual([
      ['pre_sync', 'first', 0, true, false],
      ['pre_sync', 'second', 0, true, false],
      ['post_sync', 'third', 0, true, false],
    ]);
    expect(r.status.commands[0]).toMatchObject({ command: chains.pre_sync[0]!.command, required: true, log: `.arx/logs/commands/${id}-first.log` });
    expect(typeof r.status.commands[0].duration_ms).toBe('number');
  });

  it('captures stdout and stderr in the log file and the last lines in the status', () => {
    const t = project({
      pre_sync: [{ name: 'chatty', command: 'for i in $(seq 1 30); do echo "out $i"; done; echo "to stderr" >&2', timeout: 30, required: true }],
    });
    const r = t.syncJson('a');
    expect(r.code).toBe(0);
    const log = read(t.a, `.arx/logs/commands/${r.status.sync_id}-chatty.log`);
    expect(log).toContain('out 1\n');
    expect(log).toContain('out 30\n');
    expect(log).toContain('to stderr\n');
    const tail: string[] = r.status.commands[0].output_tail;
    expect(tail.length).toBeLessThanOrEqual(20);
    expect(tail.at(-1)).toBe('to stderr');
    expect(tail).toContain('out 30');
    expect(tail).not.toContain('out 1');
    // The status file in .arx/syncs carries the same report.
    const saved = JSON.parse(read(t.a, `.arx/syncs/${r.status.sync_id}.json`));
    expect(saved.commands[0].output_tail).toEqual(tail);
  });

  it('a required pre_sync failure stops the sync before anything moves (exit 4)', () => {
    const t = project({});
    write(t.a, 'symbols/shared.json', '{"v":1}');
    expect(t.sync('a').code).toBe(0);
    expect(t.sync('b').code).toBe(0);
    // Changes on both sides that a sync would move.
    write(t.a, 'symbols/new-local.json', '{}');
    write(t.b, 'symbols/new-remote.json', '{}');
    expect(t.sync('b').code).toBe(0);
    const chains = {
      pre_sync: [
        { name: 'check', command: 'echo "symbol broken.json is invalid" >&2; exit 3', timeout: 30, required: true },
        { name: 'never', command: `touch '${t.trace}'`, timeout: 30, required: true },
      ],
      post_sync: [{ name: 'after', command: `touch '${t.trace}'`, timeout: 30, required: false }],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    const beforeLocal = snapshot(t.a);
    const beforeRemote = snapshot(t.remote);

    const r = t.syncJson('a');
    expect(r.code).toBe(4);
    expect(r.status.status).toBe('failed');
    expect(r.status.errors[0]).toMatchObject({ type: 'command', code: 'PRE_SYNC_FAILED' });
    expect(r.status.errors[0].message).toContain('"check"');
    expect(r.status.errors[0].message).toContain('exit code 3');
    expect(r.status.commands).toHaveLength(1);
    expect(r.status.commands[0].output_tail).toEqual(['symbol broken.json is invalid']);
    expect(r.status.files_synced).toBe(0);
    expect(existsSync(t.trace)).toBe(false);
    expect(snapshot(t.a)).toEqual(beforeLocal);
    expect(snapshot(t.remote)).toEqual(beforeRemote);

    const human = t.run('a', 'sync');
    expect(human.code).toBe(4);
    expect(human.stderr).toContain('pre_sync command "check" (echo');
    expect(human.stderr).toContain('nothing was synced');
    expect(human.stderr).not.toContain('    at ');
  });

  it('on timeout the whole process group is stopped, a grandchild ignoring SIGTERM included', () => {
    const t = project({});
    const pidFile = join(t.home, 'grandchild.pid');
    // The shell and its background grandchild both ignore SIGTERM: only the SIGKILL after the grace stops them.
    const command = `trap '' TERM; sh -c 'trap "" TERM; sleep 300' & echo $! > '${pidFile}'; sleep 300`;
    const chains = { pre_sync: [{ name: 'stuck', command, timeout: 1, required: true }] };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{}');
    const started = Date.now();
    const r = t.syncJson('a');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(4);
    expect(r.status.commands[0]).toMatchObject({ name: 'stuck', timed_out: true, success: false, exit_code: null });
    expect(r.status.errors[0].message).toContain('timed out after 1 s');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(t.remote, 'symbols/x.json'))).toBe(false);
  });

  it('a timed-out command that is not required is a warning; the sync goes on', () => {
    const t = project({});
    const pidFile = join(t.home, 'grandchild.pid');
    const chains = {
      pre_sync: [
        { name: 'slow_tests', command: `sleep 300 & echo $! > '${pidFile}'; wait`, timeout: 1, required: false },
        { name: 'next', command: `touch '${t.trace}'`, timeout: 30 },
      ],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{}');
    const r = t.syncJson('a');
    expect(r.code).toBe(0);
    expect(r.status.status).toBe('completed');
    expect(r.status.commands[0]).toMatchObject({ timed_out: true, success: false });
    expect(r.status.warnings.join('\n')).toContain('pre_sync command "slow_tests"');
    expect(r.status.warnings.join('\n')).toContain('not required');
    expect(existsSync(t.trace)).toBe(true);
    expect(read(t.remote, 'symbols/x.json')).toBe('{}');
    expect(alive(Number(readFileSync(pidFile, 'utf8').trim()))).toBe(false);
  });

  it('a failing command that is not required becomes a warning and the chain goes on', () => {
    const t = project({});
    const chains = {
      pre_sync: [
        { name: 'optional', command: 'exit 9', timeout: 30, required: false },
        { name: 'next', command: `echo next >> '${t.trace}'`, timeout: 30, required: true },
      ],
      post_sync: [
        { name: 'notify_team', command: 'exit 1', timeout: 30, required: false },
        { name: 'last', command: `echo last >> '${t.trace}'`, timeout: 30, required: true },
      ],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{}');
    const r = t.run('a', 'sync');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: pre_sync command "optional" (exit 9) failed with exit code 9');
    expect(r.stderr).toContain('post_sync command "notify_team"');
    expect(lines(t.trace)).toEqual(['next', 'last']);
    expect(read(t.remote, 'symbols/x.json')).toBe('{}');
  });

  it('a required post_sync failure leaves the files synced but fails the sync (exit 4) and ends the chain', () => {
    const t = project({});
    const chains = {
      post_sync: [
        { name: 'update_index', command: 'echo cannot write index >&2; exit 2', timeout: 30, required: true },
        { name: 'never', command: `touch '${t.trace}'`, timeout: 30, required: false },
      ],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{"x":1}');
    const r = t.syncJson('a');
    expect(r.code).toBe(4);
    expect(r.status.status).toBe('failed');
    expect(r.status.files_uploaded).toBeGreaterThan(0);
    expect(r.status.errors[0]).toMatchObject({ type: 'command', code: 'POST_SYNC_FAILED' });
    expect(r.status.errors[0].message).toContain('the files were synced');
    expect(read(t.remote, 'symbols/x.json')).toBe('{"x":1}');
    expect(existsSync(t.trace)).toBe(false);
    // The base was committed: the next sync (without commands) has nothing to move.
    const again = t.syncJson('a', '--no-commands');
    expect(again.code).toBe(0);
    expect(again.status.files_synced).toBe(0);
  });

  it('--no-commands skips both chains; --dry-run lists them without running them', () => {
    const t = project({});
    const chains = {
      pre_sync: [{ name: 'validate_symbols', command: `touch '${t.trace}'`, timeout: 300, required: true }],
      post_sync: [{ name: 'notify_team', command: `touch '${t.trace}'`, timeout: 30, required: false }],
    };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{}');

    const dry = t.syncJson('a', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.status.commands_executed).toBe(0);
    expect(dry.status.planned_commands).toEqual([
      { name: 'validate_symbols', phase: 'pre_sync', command: `touch '${t.trace}'`, required: true, timeout_s: 300, approved: true },
      { name: 'notify_team', phase: 'post_sync', command: `touch '${t.trace}'`, required: false, timeout_s: 30, approved: true },
    ]);
    const human = t.run('a', 'sync', '--dry-run');
    expect(human.stdout).toContain('would run 2 commands');
    expect(human.stdout).toMatch(/pre_sync\s+validate_symbols/);
    expect(existsSync(t.trace)).toBe(false);

    const skipped = t.syncJson('a', '--no-commands');
    expect(skipped.code).toBe(0);
    expect(skipped.status.commands_executed).toBe(0);
    expect(skipped.status.commands).toEqual([]);
    expect(existsSync(t.trace)).toBe(false);
    expect(read(t.remote, 'symbols/x.json')).toBe('{}');
  });

  it('progress names the command that runs', () => {
    const t = project({ pre_sync: [{ name: 'validate_symbols', command: 'true', timeout: 30 }] });
    const r = t.run('a', 'sync');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('pre_sync 1/1: running validate_symbols (true)');
  });

  it('a missing chain field has a default: required, 300 s', () => {
    const t = project({ pre_sync: [{ name: 'check', command: 'exit 1' }] });
    const r = t.syncJson('a');
    expect(r.code).toBe(4);
    const dry = t.syncJson('a', '--dry-run');
    expect(dry.status.planned_commands[0]).toMatchObject({ required: true, timeout_s: 300 });
  });

  it('a bad chain entry is a configuration error naming the entry (exit 2, nothing touched)', () => {
    const cases: [unknown, string][] = [
      [{ pre_sync: [{ name: 'validate_symbols', timeout: 300 }] }, 'commands.pre_sync[0] (entry "validate_symbols").command'],
      [{ pre_sync: [{ name: 'ok', command: 'true' }, { name: 'slow', command: 'true', timeout: '60' }] }, 'commands.pre_sync[1] (entry "slow").timeout'],
      [{ post_sync: [{ name: 'x', command: 'true', required: 'yes' }] }, 'commands.post_sync[0] (entry "x").required'],
      [{ post_sync: [{ command: 'true' }] }, 'commands.post_sync[0].name'],
      [{ post_sync: [{ name: 'a/b', command: 'true' }] }, 'commands.post_sync[0] (entry "a/b").name'],
      [{ pre_sync: [{ name: 'same', command: 'true' }], post_sync: [{ name: 'same', command: 'true' }] }, 'already the name of commands.pre_sync[0]'],
      [{ pre_sync: { name: 'x', command: 'true' } }, 'commands.pre_sync'],
    ];
    for (const [chains, expected] of cases) {
      const t = project(chains as any);
      write(t.a, 'symbols/x.json', '{}');
      const r = t.run('a', 'sync');
      expect(r.code, JSON.stringify(chains)).toBe(2);
      expect(r.stderr).toContain(expected);
      expect(r.stderr).not.toContain('    at ');
      expect(existsSync(t.remote)).toBe(false);
      expect(existsSync(join(t.a, '.arx'))).toBe(false);
    }
  });

  it('SIGINT during a command stops its process group and cancels the sync (exit 130)', async () => {
    const t = project({});
    const pidFile = join(t.home, 'grandchild.pid');
    const chains = { pre_sync: [{ name: 'long', command: `sleep 300 & echo $! > '${pidFile}'; wait`, timeout: 600 }] };
    writeFileSync(join(t.a, 'arxfile.json'), JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chains }));
    expect(t.trust('a').code).toBe(0);
    write(t.a, 'symbols/x.json', '{}');
    const child = arxSpawn(['sync', '--json'], { cwd: t.a, env: t.env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(pidFile)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    const status = JSON.parse(stdout);
    expect(status.status).toBe('cancelled');
    expect(alive(Number(readFileSync(pidFile, 'utf8').trim()))).toBe(false);
    expect(existsSync(join(t.remote, 'symbols/x.json'))).toBe(false);
  });
});

describe('arx init writes a chain that works out of the box', () => {
  it('a fresh project syncs with exit 0, and settles after the index it writes is synced', () => {
    const home = tempDir();
    const dir = join(home, 'tower');
    const env = cleanEnv(home);
    expect(arx(['init', '--project', dir], { cwd: home, env }).code).toBe(0);
    const arxfile = JSON.parse(read(dir, 'arxfile.json'));
    expect(arxfile.commands.pre_sync.map((c: any) => c.command)).toEqual(['arx validate-symbols', 'arx test']);
    expect(arxfile.commands.post_sync.map((c: any) => c.command)).toEqual(['arx update-index']);
    write(dir, 'symbols/mechanical/ahu.json', JSON.stringify({ id: 'ahu', name: 'Air handler', system: 'mechanical', svg: { content: '<svg/>' } }));

    const first = arx(['sync', '--json', '--quiet'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout);
    expect(s1.commands.map((c: any) => [c.name, c.success])).toEqual([
      ['validate_symbols', true],
      ['run_tests', true],
      ['update_index', true],
    ]);
    expect(JSON.parse(read(dir, 'symbols/index.json'))).toEqual({ symbols: ['ahu'] });
    // The index written after the first sync goes up with the second; the third has nothing to do.
    const second = JSON.parse(arx(['sync', '--json', '--quiet'], { cwd: dir, env }).stdout);
    expect(second.files_uploaded).toBeGreaterThan(0);
    const third = JSON.parse(arx(['sync', '--json', '--quiet'], { cwd: dir, env }).stdout);
    expect(third.status).toBe('completed');
    expect(third.files_synced).toBe(0);

    // A broken symbol now stops the sync before it reaches the remote.
    write(dir, 'symbols/mechanical/bad.json', JSON.stringify({ id: 'Bad Id', name: 'x', system: 'mechanical', svg: { content: '<svg/>' } }));
    const blocked = arx(['sync', '--json', '--quiet'], { cwd: dir, env });
    expect(blocked.code).toBe(4);
    expect(JSON.parse(blocked.stdout).errors[0].message).toContain('validate_symbols');
  });
});
