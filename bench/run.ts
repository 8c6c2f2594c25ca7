/**
 * `npm run bench`: generate a project (N small JSON symbol files + a few large
 * model files), then time arx's initial, no-op and 1%-changed syncs against
 * the local remote, and rsync / unison on the same data in the same run where
 * they are installed. Prints figures and ratios; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haveSshd, startSshd, type Sshd } from './sshd.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARX = join(REPO, 'bin', 'arx');
const SYSTEMS = ['mechanical', 'electrical', 'plumbing', 'fire_alarm', 'security', 'hvac', 'network', 'av'];

const { values: opts } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    models: { type: 'string', default: '3' },
    'model-mb': { type: 'string', default: '64' },
    only: { type: 'string' }, // 'arx' (no other tool) or 'local' (no SFTP)
    skip: { type: 'string' }, // tool names to leave out, comma-separated (e.g. rclone-bisync)
    keep: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const N = Number(opts.files);
const MODELS = Number(opts.models);
const MODEL_MB = Number(opts['model-mb']);
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(MODELS) || MODELS < 0 || !(MODEL_MB > 0)) {
  console.error('bench: --files, --models and --model-mb take positive numbers');
  process.exit(2);
}

interface Measure {
  seconds: number;
  peakMb: number | undefined;
  ok: boolean;
  note?: string;
}

const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run a command, measuring wall time and (where /usr/bin/time exists) peak RSS. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Measure {
  // Flush dirty pages first, so one run's write-back does not slow the next one down.
  spawnSync('sync');
  const argv = TIME_BIN ? [TIME_BIN, '-f', '__PEAK_KB__=%M', cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /__PEAK_KB__=(\d+)/.exec(r.stderr ?? '');
  const ok = r.status === 0;
  return { seconds, peakMb: m ? Number(m[1]) / 1024 : undefined, ok, note: ok ? undefined : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function symbolJson(i: number, version: number): string {
  const system = SYSTEMS[i % SYSTEMS.length]!;
  return JSON.stringify(
    {
      id: `sym_${i}`,
      name: `Symbol ${i}`,
      system,
      version: String(version),
      tags: [system, `group_${i % 17}`],
      svg: { content: `<g id="sym_${i}"><rect x="0" y="0" width="${10 + (i % 30)}" height="20"/></g>`, width: 40, height: 20 },
      properties: { rating: i % 100, note: 'x'.repeat(i % 400) },
    },
    null,
    2,
  );
}

function symbolPath(i: number): string {
  const system = SYSTEMS[i % SYSTEMS.length]!;
  return `symbols/${system}/group_${String(Math.floor(i / 500)).padStart(3, '0')}/sym_${i}.json`;
}

function generate(project: string, remoteRoot: string): void {
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'arxfile.json'),
    JSON.stringify({ project_id: 'bench', name: 'Benchmark', sync: { remote_path: '/projects/bench', max_delete_percent: 100 }, remote: { type: 'local', path: remoteRoot } }, null, 2),
  );
  const dirs = new Set<string>();
  for (let i = 0; i < N; i++) {
    const p = join(project, symbolPath(i));
    const d = dirname(p);
    if (!dirs.has(d)) {
      mkdirSync(d, { recursive: true });
      dirs.add(d);
    }
    writeFileSync(p, symbolJson(i, 1));
  }
  mkdirSync(join(project, 'models'), { recursive: true });
  const chunk = Buffer.alloc(1 << 20);
  for (let m = 0; m < MODELS; m++) {
    const fd = openSync(join(project, 'models', `model_${m}.ifc`), 'w');
    for (let k = 0; k < MODEL_MB; k++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  }
}

/** Change 1% of the symbol files (content and mtime). */
function change(project: string, round: number): number {
  const step = 100;
  let n = 0;
  for (let i = round; i < N; i += step) {
    writeFileSync(join(project, symbolPath(i)), symbolJson(i, round + 2));
    n++;
  }
  return n;
}

function fmt(m: Measure | undefined): string {
  if (!m) return '-';
  if (!m.ok) return 'FAILED';
  return `${m.seconds.toFixed(2)} s`;
}

function ratio(a: Measure | undefined, b: Measure | undefined): string {
  if (!a?.ok || !b?.ok) return '-';
  return `${(a.seconds / b.seconds).toFixed(2)}x`;
}

/** The ssh-based tools, against a private sshd on loopback (see bench/sshd.ts). */
function sshTools(top: string, project: string, env: NodeJS.ProcessEnv, sshd: Sshd): { name: string; run: () => Measure }[] {
  const ssh = `ssh -p ${sshd.port} -i ${sshd.clientKey} -o UserKnownHostsFile=${sshd.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
  const at = `${sshd.user}@127.0.0.1`;
  const tools: { name: string; run: () => Measure }[] = [];
  const arxEnv = {
    ...env,
    ARX_REMOTE_TYPE: 'sftp',
    ARX_REMOTE_HOST: '127.0.0.1',
    ARX_REMOTE_PORT: String(sshd.port),
    ARX_REMOTE_USERNAME: sshd.user,
    ARX_REMOTE_KEY_FILE: sshd.clientKey,
    ARX_REMOTE_KNOWN_HOSTS: sshd.knownHosts,
    ARX_REMOTE_PATH: join(top, 'arx-sftp-remote'),
  };
  tools.push({ name: 'arx-sftp', run: () => measure(ARX, ['sync', '--quiet'], arxEnv, project) });
  if (have('rsync')) {
    const dst = join(top, 'rsync-ssh-dst');
    mkdirSync(dst, { recursive: true });
    tools.push({ name: 'rsync-ssh', run: () => measure('rsync', ['-a', '--delete', '--exclude=/.arx', '-e', ssh, `${project}/`, `${at}:${dst}/`], env, top) });
  }
  if (have('unison')) {
    const dst = join(top, 'unison-ssh-dst');
    mkdirSync(dst, { recursive: true });
    const sshArgs = ssh.split(' ').slice(1).join(' ');
    tools.push({
      name: 'unison-ssh',
      run: () => measure('unison', [project, `ssh://${at}/${dst}`, '-sshargs', sshArgs, '-batch', '-auto', '-times', '-silent', '-ignore', 'Path .arx', '-confirmbigdel=false'], env, top),
    });
  }
  if (have('rclone')) {
    const remote = (dst: string): string => `:sftp:${dst}`;
    const flags = ['--sftp-host', '127.0.0.1', '--sftp-port', String(sshd.port), '--sftp-user', sshd.user, '--sftp-key-file', sshd.clientKey, '--sftp-known-hosts-file', sshd.knownHosts, '--exclude', '/.arx/**', '-q'];
    const syncDst = join(top, 'rclone-dst');
    tools.push({ name: 'rclone', run: () => measure('rclone', ['sync', project, remote(syncDst), ...flags], env, top) });
    const bisyncDst = join(top, 'rclone-bisync-dst');
    mkdirSync(bisyncDst, { recursive: true });
    let first = true;
    tools.push({
      name: 'rclone-bisync',
      run: () => {
        const m = measure('rclone', ['bisync', project, remote(bisyncDst), ...flags, ...(first ? ['--resync'] : [])], env, top);
        first = false;
        return m;
      },
    });
  }
  return tools;
}

async function main(): Promise<void> {
  const top = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'arx-bench-'));
  const project = join(top, 'project');
  const home = join(top, 'home');
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, UNISON: join(home, '.unison') };
  for (const k of Object.keys(env)) if (k.startsWith('ARX_')) delete env[k];

  console.log(`arx benchmark: ${N} symbol files + ${MODELS} x ${MODEL_MB} MiB models, in ${top}`);
  const t0 = Date.now();
  generate(project, join(top, 'arx-remote'));
  console.log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const tools: { name: string; run: () => Measure }[] = [{ name: 'arx', run: () => measure(ARX, ['sync', '--quiet'], env, project) }];
  if (opts.only !== 'arx' && have('rsync')) {
    const dst = join(top, 'rsync-dst');
    mkdirSync(dst, { recursive: true });
    tools.push({ name: 'rsync', run: () => measure('rsync', ['-a', '--delete', '--exclude=/.arx', `${project}/`, `${dst}/`], env, top) });
  }
  if (opts.only !== 'arx' && have('unison')) {
    const dst = join(top, 'unison-dst');
    mkdirSync(dst, { recursive: true });
    tools.push({ name: 'unison', run: () => measure('unison', [project, dst, '-batch', '-auto', '-times', '-silent', '-ignore', 'Path .arx', '-confirmbigdel=false'], env, top) });
  }

  let sshd: Sshd | undefined;
  if (opts.only !== 'arx' && opts.only !== 'local' && haveSshd()) {
    mkdirSync(join(top, 'sshd'), { recursive: true });
    sshd = await startSshd({ dir: join(top, 'sshd') });
    tools.push(...sshTools(top, project, env, sshd));
  } else if (opts.only !== 'arx' && opts.only !== 'local') console.log('(no sshd: the SFTP comparisons are left out; apt-get install openssh-server)');

  const skipped = new Set((opts.skip ?? '').split(',').filter(Boolean));
  for (let i = tools.length - 1; i >= 0; i--) if (skipped.has(tools[i]!.name)) tools.splice(i, 1);

  const phases = ['initial', 'no-op', '1% changed'] as const;
  // Repeated phases report the median of ROUNDS runs: this kind of machine is noisy.
  const ROUNDS = 3;
  const results = new Map<string, Map<string, Measure>>();
  for (const phase of phases) {
    const rounds = phase === 'initial' ? 1 : ROUNDS;
    const runs = new Map<string, Measure[]>();
    for (let round = 1; round <= rounds; round++) {
      if (phase === '1% changed') console.log(`changed ${change(project, round)} files`);
      for (const tool of tools) {
        const m = tool.run();
        runs.set(tool.name, [...(runs.get(tool.name) ?? []), m]);
        console.log(`  ${phase.padEnd(11)} ${tool.name.padEnd(7)} ${fmt(m).padStart(9)}  peak ${m.peakMb === undefined ? '?' : `${m.peakMb.toFixed(0)} MB`}${m.note ? `  (${m.note})` : ''}`);
      }
    }
    for (const [name, ms] of runs) {
      const sorted = [...ms].sort((a, b) => a.seconds - b.seconds);
      const median = { ...sorted[Math.floor(sorted.length / 2)]!, peakMb: Math.max(...ms.map((m) => m.peakMb ?? 0)) || undefined, ok: ms.every((m) => m.ok) };
      if (!results.has(name)) results.set(name, new Map());
      results.get(name)!.set(phase, median);
    }
  }

  // Each arx run is compared with the tools that reach the same kind of remote.
  const groups = [
    { arx: 'arx', label: 'local folders', others: ['rsync', 'unison'] },
    { arx: 'arx-sftp', label: 'over ssh (loopback)', others: ['rsync-ssh', 'unison-ssh', 'rclone', 'rclone-bisync'] },
  ];
  for (const g of groups) {
    if (!results.has(g.arx)) continue;
    const others = g.others.filter((o) => results.has(o));
    console.log(`\n${g.label}: wall time (median of ${ROUNDS} for the repeated phases); ratio = ${g.arx} / other`);
    const header = ['phase', g.arx, ...others, ...others.map((o) => `/${o}`)];
    const rows = phases.map((p) => [p, fmt(results.get(g.arx)!.get(p)), ...others.map((o) => fmt(results.get(o)!.get(p))), ...others.map((o) => ratio(results.get(g.arx)!.get(p), results.get(o)!.get(p)))]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows]) console.log('  ' + r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    const peak = Math.max(...phases.map((p) => results.get(g.arx)!.get(p)?.peakMb ?? 0));
    console.log(`  ${g.arx} peak memory: ${peak ? `${peak.toFixed(0)} MB` : 'unknown (/usr/bin/time not installed)'}`);
  }
  await sshd?.stop();
  if (!opts.keep && !opts.dir) rmSync(top, { recursive: true, force: true });
}

await main();
