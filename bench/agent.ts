/**
 * `npm run bench:agent`: the agent's figures. Starts `arx agent run` with
 * N projects of M small files each (on the local remote) and prints:
 *   - file edit -> on the remote, with watching on (median and worst of 20 edits)
 *   - the idle agent's CPU (over --idle seconds) and memory (RSS)
 *   - GET /api/v1/syncs/{id} latency while a large sync runs (p50, p99)
 * Goals (issue): edit -> remote <= 2 s with a 500 ms debounce (Syncthing's
 * watcher waits 10 s); idle CPU <= 1 %, RSS <= 150 MB; API p99 <= 20 ms.
 * Prints figures; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARX = join(REPO, 'bin', 'arx');
const TOKEN = 'bench-token-0123456789abcdef';

const { values: opts } = parseArgs({
  options: {
    projects: { type: 'string', default: '20' },
    files: { type: 'string', default: '5000' },
    idle: { type: 'string', default: '300' },
    edits: { type: 'string', default: '20' },
    'debounce-ms': { type: 'string', default: '500' },
    'model-mb': { type: 'string', default: '512' },
    syncs: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    'no-watch': { type: 'boolean', default: false },
  },
});
const num = (name: keyof typeof opts, min: number): number => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:agent: --${name} takes a whole number >= ${min}`);
    process.exit(2);
  }
  return v;
};
const PROJECTS = num('projects', 1);
const FILES = num('files', 1);
const IDLE_S = num('idle', 1);
const EDITS = num('edits', 1);
const DEBOUNCE = num('debounce-ms', 0);
const MODEL_MB = num('model-mb', 1);
const SYNCS = num('syncs', 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const top = mkdtempSync(join(tmpdir(), 'arx-bench-agent-'));
const home = join(top, 'home');
const remote = join(top, 'remote');
mkdirSync(home, { recursive: true });

function makeProject(id: string, files: number): string {
  const dir = join(top, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'arxfile.json'), JSON.stringify({ project_id: id, sync: { enabled: true, remote_path: `/projects/${id}` } }, null, 2));
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'symbols', `group_${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `sym_${i}.json`), JSON.stringify({ id: `sym_${i}`, name: `Symbol ${i}`, system: 'mechanical' }));
  }
  return dir;
}

async function api(base: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${TOKEN}` } });
  return res.json();
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, and those of its finished children (the listings' find), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

/** Syncs the agent has run, from its metrics. */
async function syncsRun(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return [...text.matchAll(/^arx_sync_runs_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS, and the JavaScript heap and external memory as the agent's own metrics show them. */
async function memory(base: string, pid: number): Promise<string> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return `RSS ${rssMb(pid).toFixed(0)} MB (heap used ${value('nodejs_heap_size_used_bytes').toFixed(0)} MB of ${value('nodejs_heap_size_total_bytes').toFixed(0)}, external ${value('nodejs_external_memory_bytes').toFixed(0)} MB)`;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  console.log(`agent benchmark: ${PROJECTS} projects x ${FILES} files, debounce ${DEBOUNCE} ms, idle ${IDLE_S} s (in ${top})`);
  const dirs: string[] = [];
  for (let p = 0; p < PROJECTS; p++) dirs.push(makeProject(`bench${p}`, FILES));
  const big = makeProject('big', 1);
  const small = makeProject('small', 10);
  writeFileSync(
    join(home, '.arxconfig.json'),
    JSON.stringify({ remote: { type: 'local', path: remote }, agent: { listen: '127.0.0.1:0', projects: [...dirs, big, small], debounce_ms: DEBOUNCE, watch: !opts['no-watch'] } }, null, 2),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, '.local', 'share'), XDG_STATE_HOME: join(home, '.local', 'state'), ARX_AGENT_TOKEN: TOKEN };
  for (const k of Object.keys(env)) if (k.startsWith('ARX_') && k !== 'ARX_AGENT_TOKEN') delete env[k];
  const agent: ChildProcess = spawn(ARX, ['--quiet', 'agent', 'run'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    const lock = join(home, '.local', 'state', 'arx', 'agent', 'agent.lock');
    let base = '';
    for (let i = 0; i < 300 && !base; i++) {
      await sleep(100);
      try {
        base = (JSON.parse(readFileSync(lock, 'utf8')) as { address: string | null }).address ?? '';
      } catch {
        // Not yet.
      }
    }
    if (!base) throw new Error('the agent did not start listening');
    const t0 = Date.now();
    for (;;) {
      const list = (await api(base, '/api/v1/projects')) as { last_sync: { status: string } | null; state: string }[];
      if (list.every((p) => p.last_sync?.status === 'completed' && p.state === 'idle')) break;
      await sleep(500);
    }
    console.log(`first syncs of all projects: ${((Date.now() - t0) / 1000).toFixed(1)} s; then ${await memory(base, agent.pid!)}`);

    // Edit -> remote, with watching.
    const latencies: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const rel = join('symbols', 'group_0', 'sym_0.json');
      const content = JSON.stringify({ id: 'sym_0', edit: i, at: Date.now() });
      const start = performance.now();
      writeFileSync(join(dirs[0]!, rel), content);
      const target = join(remote, 'projects', 'bench0', rel);
      for (;;) {
        let now = '';
        try {
          now = readFileSync(target, 'utf8');
        } catch {
          // Being replaced.
        }
        if (now === content) break;
        if (performance.now() - start > 30_000) throw new Error(`edit ${i} did not reach the remote within 30 s`);
        await sleep(5);
      }
      latencies.push(performance.now() - start);
      await sleep(1000);
    }
    console.log(`edit -> remote (watching, ${EDITS} edits): median ${fmt(pct(latencies, 50))}, worst ${fmt(Math.max(...latencies))}  (goal <= 2000 ms; Syncthing's watcher waits 10 s)`);

    // Idle.
    await sleep(3000);
    const pid = agent.pid!;
    const cpu0 = cpuSeconds(pid);
    const runs0 = await syncsRun(base);
    const rss: number[] = [];
    const idleStart = Date.now();
    while (Date.now() - idleStart < IDLE_S * 1000) {
      rss.push(rssMb(pid));
      await sleep(1000);
    }
    const cpu = cpuSeconds(pid) - cpu0;
    const wall = (Date.now() - idleStart) / 1000;
    const timerSyncs = (await syncsRun(base)) - runs0;
    console.log(`idle agent over ${wall.toFixed(0)} s (${timerSyncs} syncs on their interval in it): CPU ${((cpu / wall) * 100).toFixed(2)} % (goal <= 1 %), RSS ${Math.max(...rss).toFixed(0)} MB peak (goal <= 150 MB); at the end ${await memory(base, pid)}`);

    // API latency during a large sync.
    mkdirSync(join(big, 'models'), { recursive: true });
    const out = openSync(join(big, 'models', 'tower.ifc'), 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < MODEL_MB; i++) {
      randomFillSync(chunk);
      writeSync(out, chunk);
    }
    closeSync(out);
    const started = (await (await fetch(`${base}/api/v1/projects/big/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { sync_id?: string };
    const id = started.sync_id;
    if (!id) throw new Error(`the sync did not start: ${JSON.stringify(started)}`);
    const times: number[] = [];
    let running = 0;
    for (;;) {
      const s = performance.now();
      const v = (await api(base, `/api/v1/syncs/${id}`)) as { status: string; progress?: unknown };
      times.push(performance.now() - s);
      if (v.progress) running++;
      if (v.status !== 'running' && v.status !== 'queued') break;
    }
    console.log(`GET /api/v1/syncs/{id} during a ${MODEL_MB} MB sync: ${times.length} requests (${running} while it ran), p50 ${fmt(pct(times, 50))}, p99 ${fmt(pct(times, 99))} (goal <= 20 ms)`);

    // Many syncs in one process: memory stays flat.
    if (SYNCS > 0) {
      const marks: string[] = [];
      const syncStart = Date.now();
      for (let i = 1; i <= SYNCS; i++) {
        writeFileSync(join(small, 'symbols', 'group_0', 'sym_0.json'), JSON.stringify({ id: 'sym_0', round: i }));
        const r = (await (await fetch(`${base}/api/v1/projects/small/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { sync_id?: string };
        if (!r.sync_id) throw new Error(`sync ${i} did not start: ${JSON.stringify(r)}`);
        for (;;) {
          const v = (await api(base, `/api/v1/syncs/${r.sync_id}`)) as { status: string };
          if (v.status !== 'running' && v.status !== 'queued') break;
          await sleep(2);
        }
        if (i === 1 || i % Math.max(1, Math.floor(SYNCS / 5)) === 0) marks.push(`${i}: ${rssMb(pid).toFixed(0)} MB`);
        if (i === 1 || i === SYNCS) marks.push(`[${await memory(base, pid)}]`);
      }
      console.log(`RSS over ${SYNCS} syncs in the agent (${((Date.now() - syncStart) / SYNCS).toFixed(0)} ms each): ${marks.join(', ')}`);
    }
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    if (!opts.keep) rmSync(top, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:agent: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
