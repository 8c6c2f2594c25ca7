/**
 * The agent as a user runs it: `arx agent run` of the built CLI with four
 * projects (two on a local remote, one over the test sshd, one that cannot
 * reach its server), its HTTP API on a loopback port, a webhook receiver that
 * checks signatures, and a real SMTP server.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arx, arxSpawn, cleanEnv, read, tempDir, which, write } from '../helpers/cli.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const TOKEN = 'test-token-0123456789abcdef';
const SECRET_KEY = Buffer.from('a webhook key of the receiver');
const SECRET = `whsec_${SECRET_KEY.toString('base64')}`;
const SMTP_PASSWORD = 'smtp-password-not-to-be-logged';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
  verified: boolean;
}

interface Mail {
  subject: string;
  to: string;
  text: string;
  user: string | undefined;
}

const until = async <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.runIf(haveSshd())('arx agent', () => {
  let sshd: Sshd;
  let top: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let agent: ChildProcess;
  let agentErr = '';
  let base = '';
  let receiver: Server;
  let smtp: SMTPServer;
  const deliveries: Delivery[] = [];
  const mails: Mail[] = [];
  let failNext = 1;
  const dirs: Record<string, string> = {};
  const localRemote = () => join(top, 'remote');

  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? TOKEN : init.token;
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    return fetch(base + path, { ...init, headers });
  };
  const json = async (path: string, init: RequestInit = {}) => {
    const res = await api(path, init);
    return { status: res.status, body: (await res.json()) as any };
  };
  const projects = async () => (await json('/api/v1/projects')).body as any[];
  const project = async (id: string) => (await projects()).find((p) => p.project_id === id);
  const finished = (syncId: string) =>
    until(`sync ${syncId} to end`, async () => {
      const r = await json(`/api/v1/syncs/${syncId}`);
      return r.status === 200 && r.body.end_time && r.body.status !== 'running' && r.body.status !== 'queued' ? r.body : undefined;
    });

  beforeAll(async () => {
    sshd = await startSshd();
    top = tempDir('arx-agent-');
    home = join(top, 'home');
    mkdirSync(home);
    // The webhook receiver: the first delivery gets 503 with Retry-After, the rest 200.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const ts = String(req.headers['webhook-timestamp']);
        const expected = `v1,${createHmac('sha256', SECRET_KEY).update(`${id}.${ts}.${body}`).digest('base64')}`;
        deliveries.push({ headers: req.headers, body, verified: req.headers['webhook-signature'] === expected });
        if (failNext > 0) {
          failNext--;
          res.writeHead(503, { 'retry-after': '1' }).end();
        } else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'arx' && auth.password === SMTP_PASSWORD) cb(null, { user: 'arx' });
        else cb(new Error('bad login'));
      },
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
          const to = /^To: (.*)$/m.exec(raw)?.[1] ?? '';
          mails.push({ subject, to, text: raw.split(/\r?\n\r?\n/).slice(1).join('\n\n'), user: session.user as string | undefined });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const arxfile = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ project_id: id, name: `Project ${id}`, sync: { enabled: true, remote_path: `/projects/${id}`, interval: 0, conflict_resolution: 'manual' }, ...extra }, null, 2);
    for (const id of ['alpha', 'beta', 'gamma', 'broken']) {
      dirs[id] = join(top, id);
      mkdirSync(dirs[id]!);
      writeFileSync(join(dirs[id]!, 'arxfile.json'), arxfile(id));
      write(dirs[id]!, 'symbols/start.json', `{"id":"${id}"}`);
    }
    // gamma syncs over SFTP, broken with a server that is not there; .env is local to each folder.
    const sftpEnv = (port: number) =>
      [`ARX_REMOTE_TYPE=sftp`, `ARX_REMOTE_HOST=127.0.0.1`, `ARX_REMOTE_PORT=${port}`, `ARX_REMOTE_USERNAME=${sshd.user}`, `ARX_REMOTE_KEY_FILE=${sshd.clientKey}`, `ARX_REMOTE_KNOWN_HOSTS=${sshd.knownHosts}`, `ARX_REMOTE_PATH=${join(top, 'sftp-remote')}`].join('\n') + '\n';
    writeFileSync(join(dirs.gamma!, '.env'), sftpEnv(sshd.port));
    writeFileSync(join(dirs.broken!, '.env'), sftpEnv(1));
    writeFileSync(
      join(home, '.arxconfig.json'),
      JSON.stringify(
        {
          remote: { type: 'local', path: localRemote() },
          notifications: { webhook: hookUrl, email: 'team@example.com', smtp: { host: '127.0.0.1', port: smtpPort, username: 'arx', from: 'arx@example.com' } },
          agent: { listen: '127.0.0.1:0', projects: ['alpha', 'beta', 'gamma', 'broken'].map((id) => dirs[id]), debounce_ms: 200 },
        },
        null,
        2,
      ),
    );
    env = cleanEnv(home, { XDG_STATE_HOME: join(home, '.local', 'state'), ARX_AGENT_TOKEN: TOKEN, ARX_WEBHOOK_SECRET: SECRET, ARX_SMTP_PASSWORD: SMTP_PASSWORD });
    agent = arxSpawn(['agent', 'run'], { cwd: top, env });
    agent.stderr!.on('data', (d: Buffer) => (agentErr += d.toString()));
    const lock = join(home, '.local', 'state', 'arx', 'agent', 'agent.lock');
    base = await until('the agent to listen', () => {
      try {
        return (JSON.parse(readFileSync(lock, 'utf8')) as { address: string | null }).address ?? undefined;
      } catch {
        return undefined;
      }
    });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await sshd?.stop();
  });

  it('answers /healthz without a token, and nothing else without the right one', async () => {
    expect((await json('/healthz', { token: null } as never)).body).toEqual({ status: 'ok' });
    for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`]) {
      const res = await api('/api/v1/projects', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(((await res.json()) as any).error).toContain('token');
    }
    expect((await api('/metrics', { token: null })).status).toBe(401);
    // Another host name (DNS rebinding) is refused even with the token.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/projects`, { headers: { host: 'evil.example.com', authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
    const list = await projects();
    expect(list.map((p) => p.project_id).sort()).toEqual(['alpha', 'beta', 'broken', 'gamma']);
    expect(list.find((p) => p.project_id === 'alpha')).toMatchObject({ name: 'Project alpha', path: dirs.alpha });
    expect(agentErr).not.toContain(TOKEN);
  });

  it('syncs every project at start, over the local remote and SFTP, while one that fails backs off', async () => {
    for (const id of ['alpha', 'beta', 'gamma']) {
      await until(`${id}'s first sync`, async () => (await project(id))?.last_sync?.status === 'completed' || undefined);
    }
    expect(read(join(localRemote(), 'projects', 'alpha'), 'symbols/start.json')).toBe('{"id":"alpha"}');
    expect(read(join(localRemote(), 'projects', 'beta'), 'symbols/start.json')).toBe('{"id":"beta"}');
    expect(read(join(top, 'sftp-remote', 'projects', 'gamma'), 'symbols/start.json')).toBe('{"id":"gamma"}');
    const broken = await until('broken to fail', async () => {
      const p = await project('broken');
      return p?.last_sync?.status === 'failed' ? p : undefined;
    });
    expect(broken.state).toBe('waiting');
    expect(broken.problem).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(broken.next_run) - Date.now()).toBeGreaterThan(30_000);
  });

  it('starts a sync on request; its id is the one of its status, followed to the end', async () => {
    write(dirs.alpha!, 'rules/asked.json', '{"rule":"asked"}');
    const res = await json('/api/v1/projects/alpha/sync', { method: 'POST' });
    expect(res.status).toBe(202);
    const id = res.body.sync_id as string;
    expect(id).toMatch(/^sync_\d{8}_\d{6}/);
    const status = await finished(id);
    expect(status).toMatchObject({ sync_id: id, project_id: 'alpha', status: 'completed' });
    expect(existsSync(join(localRemote(), 'projects', 'alpha', 'rules', 'asked.json'))).toBe(true);
    const history = await json('/api/v1/projects/alpha/history?limit=50');
    expect(history.body.map((s: any) => s.sync_id)).toContain(id);
    expect((await json('/api/v1/projects/alpha/history?limit=-1')).status).toBe(400);
    expect((await json('/api/v1/projects/nope/sync', { method: 'POST' })).status).toBe(404);
    expect((await json('/api/v1/syncs/sync_19990101_000000')).status).toBe(404);
  });

  it('syncs a file change by itself (watching), and not what .arxignore leaves out', async () => {
    write(dirs.beta!, '.arxignore', 'scratch/\n');
    write(dirs.beta!, 'scratch/tmp.json', 'x');
    write(dirs.beta!, 'symbols/watched.json', '{"id":"watched"}');
    const remote = join(localRemote(), 'projects', 'beta');
    await until('the watched edit on the remote', () => existsSync(join(remote, 'symbols', 'watched.json')) || undefined, 15_000);
    expect(existsSync(join(remote, 'scratch'))).toBe(false);
  });

  it('streams events with increasing ids, and resumes after Last-Event-ID', async () => {
    const ac = new AbortController();
    const res = await api('/api/v1/events', { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const events: { id: number; type: string; data: any }[] = [];
    let buffer = '';
    const post = await json('/api/v1/projects/gamma/sync', { method: 'POST' });
    const id = post.body.sync_id as string;
    while (!events.some((e) => e.type === 'sync_complete' && e.data.sync_id === id)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => /^(id|event|data):/.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
        if (fields.id) events.push({ id: Number(fields.id), type: fields.event!, data: JSON.parse(fields.data!) });
      }
    }
    ac.abort();
    const mine = events.filter((e) => e.data.sync_id === id);
    expect(mine[0]!.type).toBe('sync_started');
    expect(mine.at(-1)).toMatchObject({ type: 'sync_complete', data: { project_id: 'gamma', status: 'completed' } });
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // Reconnecting with the first id replays what came after it.
    const again = await api('/api/v1/events', { headers: { 'last-event-id': String(mine[0]!.id) }, signal: AbortSignal.timeout(2000) });
    let replay = '';
    const r2 = again.body!.getReader();
    while (!replay.includes(`"sync_id":"${id}","status":"completed"`) && !replay.includes(`event: sync_complete\ndata: {"id":${mine.at(-1)!.id}`)) {
      const { value, done } = await r2.read();
      if (done) break;
      replay += new TextDecoder().decode(value);
    }
    await r2.cancel();
    expect(replay).toContain(`id: ${mine.at(-1)!.id}\nevent: sync_complete`);
    expect(replay).not.toContain(`id: ${mine[0]!.id}\n`);
  });

  it('keeps a conflict open and lists it; pause and resume', async () => {
    expect((await json('/api/v1/projects/alpha/pause', { method: 'POST' })).body.state).toBe('paused');
    expect((await json('/api/v1/projects/alpha/sync', { method: 'POST' })).status).toBe(409);
    write(dirs.alpha!, 'symbols/start.json', '{"id":"alpha","side":"local"}');
    write(join(localRemote(), 'projects', 'alpha'), 'symbols/start.json', '{"id":"alpha","side":"other replica"}');
    await new Promise((r) => setTimeout(r, 800));
    expect((await project('alpha')).state).toBe('paused');
    const before = (await project('alpha')).last_sync.sync_id;
    expect((await json('/api/v1/projects/alpha/resume', { method: 'POST' })).status).toBe(200);
    await until('the sync after resume', async () => {
      const p = await project('alpha');
      return p.last_sync.sync_id !== before && p.state !== 'syncing' ? p : undefined;
    });
    const conflicts = (await json('/api/v1/projects/alpha/conflicts')).body as any[];
    expect(conflicts.map((c) => c.path)).toContain('symbols/start.json');
    expect(read(dirs.alpha!, 'symbols/start.json')).toContain('local');
  });

  it('never runs a chain that arrived from another replica, syncing by itself', async () => {
    const marker = join(top, 'chain-ran');
    const arrived = JSON.parse(read(dirs.gamma!, 'arxfile.json'));
    arrived.commands = { pre_sync: [{ name: 'planted', command: `touch ${marker}`, required: true }], post_sync: [{ name: 'planted_post', command: `touch ${marker}`, required: false }] };
    // The other replica (the attacker) changes the project file on the remote.
    write(join(top, 'sftp-remote', 'projects', 'gamma'), 'arxfile.json', JSON.stringify(arrived, null, 2));
    const first = await finished((await json('/api/v1/projects/gamma/sync', { method: 'POST' })).body.sync_id);
    expect(first.files_downloaded).toBe(1);
    expect(read(dirs.gamma!, 'arxfile.json')).toContain('planted');
    write(dirs.gamma!, 'symbols/after.json', '{"id":"after"}');
    const second = await finished((await json('/api/v1/projects/gamma/sync', { method: 'POST' })).body.sync_id);
    expect(second.commands_executed).toBe(0);
    expect(JSON.stringify(second)).toContain('planted');
    expect(existsSync(marker)).toBe(false);
    // The agent keeps refusing it; the project shows why.
    expect((await project('gamma')).problem ?? '').toMatch(/trust|approv/);
  });

  it('sends the completion webhook signed, retrying after a 503 with the same id', async () => {
    // The first delivery was answered 503; the same message came again, with the same id.
    const first = deliveries[0]!;
    const second = await until('the retried delivery', () => deliveries.slice(1).find((d) => d.headers['webhook-id'] === first.headers['webhook-id']));
    expect(second.body).toBe(first.body);
    expect(first.verified && second.verified).toBe(true);
    const body = JSON.parse(second.body);
    expect(body).toMatchObject({ event: 'sync_complete' });
    expect(typeof body.project_id).toBe('string');
    expect(body.sync_id).toMatch(/^sync_/);
    expect(['completed', 'failed']).toContain(body.status);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(deliveries.every((d) => d.verified)).toBe(true);
  });

  it('e-mails the failing project and the conflict, through SMTP with the password from the environment', async () => {
    const failure = await until('the failure mail', () => mails.find((m) => m.subject.includes('broken')));
    expect(failure.subject).toContain('sync failed');
    expect(failure.to).toContain('team@example.com');
    expect(failure.user).toBe('arx');
    const conflict = await until('the conflict mail', () => mails.find((m) => m.subject.includes('alpha') && m.subject.includes('conflict')));
    expect(conflict.text).toContain('symbols/start.json');
    // Successful syncs send none (email_on defaults to failure and conflict).
    expect(mails.some((m) => m.subject.includes('beta'))).toBe(false);
  });

  it('exports Prometheus metrics', async () => {
    const res = await api('/metrics');
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/arx_sync_runs_total\{project="alpha",result="completed"\} [1-9]/);
    expect(text).toMatch(/arx_sync_runs_total\{project="broken",result="failed"\} [1-9]/);
    expect(text).toContain('arx_sync_duration_seconds_bucket{le="0.1",project="alpha"}');
    expect(text).toMatch(/arx_files_synced_total\{project="alpha",direction="upload"\} [1-9]/);
    expect(text).toMatch(/arx_conflicts_pending\{project="alpha"\} 1/);
    expect(text).toMatch(/arx_webhook_deliveries_total\{result="delivered"\} [1-9]/);
    expect(text).toMatch(/arx_last_success_timestamp_seconds\{project="gamma"\} \d{10}/);
    expect(text).not.toContain(top);
  });

  it('follows arx agent add and remove while it runs', async () => {
    const extra = join(top, 'extra');
    mkdirSync(extra);
    writeFileSync(join(extra, 'arxfile.json'), JSON.stringify({ project_id: 'extra', sync: { remote_path: '/projects/extra', interval: 0 } }));
    write(extra, 'symbols/e.json', '{"id":"e"}');
    const added = arx(['agent', 'add', extra], { cwd: top, env });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('the running agent picks it up');
    await until('the added project to sync', async () => ((await project('extra'))?.last_sync?.status === 'completed' ? true : undefined), 20_000);
    expect(read(join(localRemote(), 'projects', 'extra'), 'symbols/e.json')).toBe('{"id":"e"}');
    expect(arx(['agent', 'remove', extra], { cwd: top, env }).code).toBe(0);
    await until('the removed project to leave', async () => ((await project('extra')) === undefined ? true : undefined), 20_000);
  });

  it('refuses a second agent, naming the first', () => {
    const r = arx(['agent', 'run'], { cwd: top, env });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`pid ${agent.pid}`);
    expect(r.stderr).toContain(base);
    const s = arx(['agent', 'status', '--json'], { cwd: top, env });
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ running: true, pid: agent.pid, address: base });
  });

  it('writes JSON lines without secrets, shown readably by arx agent log', () => {
    const logFile = join(home, '.local', 'state', 'arx', 'agent', 'agent.log');
    const text = readFileSync(logFile, 'utf8');
    expect(statSync(logFile).mode & 0o077).toBe(0);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    for (const secret of [TOKEN, SMTP_PASSWORD, SECRET]) expect(text).not.toContain(secret);
    expect(text).toContain('"event":"sync_end"');
    expect(text).toContain('"event":"notify"');
    const shown = arx(['agent', 'log', '--project', 'broken'], { cwd: top, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/ERROR \[broken\] sync sync_\S+ failed/);
    expect(shown.stdout).not.toContain('[alpha]');
  });

  it('stops on SIGTERM during a sync: exit 0 within 10 s, the sync cancelled and recorded', async () => {
    // A sync that is busy: a pre_sync command that sleeps (approved by the user, as arx trust does).
    // Paused meanwhile, so that the edit of arxfile.json does not start a sync of its own.
    expect((await json('/api/v1/projects/beta/pause', { method: 'POST' })).status).toBe(200);
    writeFileSync(join(dirs.beta!, 'arxfile.json'), JSON.stringify({ project_id: 'beta', name: 'Project beta', sync: { enabled: true, remote_path: '/projects/beta', interval: 0 }, commands: { pre_sync: [{ name: 'wait', command: `env > ${join(top, 'chain-env')}; sleep 30`, timeout: 60, required: true }] } }, null, 2));
    expect(arx(['trust', '--quiet'], { cwd: dirs.beta!, env }).code).toBe(0);
    expect((await json('/api/v1/projects/beta/resume', { method: 'POST' })).status).toBe(200);
    const id = await until('the sync to be running', async () => {
      const newest = (await json('/api/v1/projects/beta/history?limit=1')).body[0];
      return newest?.status === 'running' ? (newest.sync_id as string) : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    // The command's environment has the sync's variables and none of the agent's secrets.
    const chainEnv = await until('the command to start', () => (existsSync(join(top, 'chain-env')) ? readFileSync(join(top, 'chain-env'), 'utf8') : undefined));
    expect(chainEnv).toContain(`ARX_SYNC_ID=${id}`);
    for (const secret of [TOKEN, SECRET, SMTP_PASSWORD]) expect(chainEnv).not.toContain(secret);
    const running = await json(`/api/v1/syncs/${id}`);
    expect(running.body).toMatchObject({ sync_id: id, project_id: 'beta', status: 'running' });
    expect(Object.keys(running.body.progress).sort()).toEqual(['bytes_done', 'bytes_total', 'current_file', 'files_done', 'files_total', 'percentage']);
    const started = Date.now();
    const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const history = arx(['history', '--json', '--limit', '1'], { cwd: dirs.beta!, env });
    const last = JSON.parse(history.stdout)[0];
    expect(last.sync_id).toBe(id);
    expect(last.status).toBe('cancelled');
    expect(existsSync(join(home, '.local', 'state', 'arx', 'agent', 'agent.lock'))).toBe(false);
  });
});

describe('arx agent without a running agent', () => {
  it('generates a token once, readable only by its user; status says none runs', () => {
    const home = tempDir('arx-agent-home-');
    const env = cleanEnv(home, { XDG_STATE_HOME: join(home, '.local', 'state') });
    const a = arx(['agent', 'token'], { cwd: home, env });
    const b = arx(['agent', 'token'], { cwd: home, env });
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(b.stdout).toBe(a.stdout);
    expect(statSync(join(home, '.local', 'state', 'arx', 'agent', 'token')).mode & 0o777).toBe(0o600);
    const s = arx(['agent', 'status'], { cwd: home, env });
    expect(s.code).toBe(5);
    expect(s.stdout).toContain('no agent is running');
    expect(arx(['agent', 'stop'], { cwd: home, env }).code).toBe(0);
  });

  it('starts in the background, answers status, and stops', () => {
    const home = tempDir('arx-agent-home-');
    const env = cleanEnv(home, { XDG_STATE_HOME: join(home, '.local', 'state') });
    writeFileSync(join(home, '.arxconfig.json'), JSON.stringify({ agent: { listen: '127.0.0.1:0' } }));
    const started = arx(['agent', 'start'], { cwd: home, env });
    try {
      expect(started.code, started.stderr).toBe(0);
      const m = /agent started \(pid (\d+), listening on (http:\/\/127\.0\.0\.1:\d+)\)/.exec(started.stdout);
      expect(m).not.toBeNull();
      const again = arx(['agent', 'start'], { cwd: home, env });
      expect(again.code).toBe(7);
      expect(again.stderr).toContain(`pid ${m![1]}`);
      const status = arx(['agent', 'status'], { cwd: home, env });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`agent running (pid ${m![1]}, listening on ${m![2]}`);
      expect(status.stdout).toContain('no projects');
    } finally {
      const stopped = arx(['agent', 'stop'], { cwd: home, env });
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toContain('agent stopped');
    }
    expect(arx(['agent', 'status'], { cwd: home, env }).code).toBe(5);
    expect(arx(['agent', 'log'], { cwd: home, env }).stdout).toContain('agent stopped');
  });

  it('adds and removes projects in the global file, keeping its other settings', () => {
    const home = tempDir('arx-agent-home-');
    const env = cleanEnv(home);
    const proj = join(home, 'proj');
    mkdirSync(proj);
    writeFileSync(join(home, '.arxconfig.json'), '{\n  "remote": {"type": "local", "path": "/srv/arx"},\n  "agent": {"watch": false}\n}\n');
    expect(arx(['agent', 'add', proj], { cwd: home, env }).code).toBe(2);
    writeFileSync(join(proj, 'arxfile.json'), '{"project_id":"proj"}');
    const added = arx(['agent', 'add', 'proj'], { cwd: home, env });
    expect(added.code).toBe(0);
    const text = readFileSync(join(home, '.arxconfig.json'), 'utf8');
    expect(JSON.parse(text)).toEqual({ remote: { type: 'local', path: '/srv/arx' }, agent: { watch: false, projects: [proj] } });
    expect(text).toContain(JSON.stringify(proj));
    expect(arx(['agent', 'add', proj], { cwd: home, env }).stdout).toContain('already');
    const removed = arx(['agent', 'remove', proj], { cwd: home, env });
    expect(removed.code).toBe(0);
    expect(readFileSync(join(home, '.arxconfig.json'), 'utf8')).not.toContain(proj);
    const again = arx(['agent', 'remove', proj], { cwd: home, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not in the agent');
  });

  it('writes a systemd user unit that restarts on failure', () => {
    const home = tempDir('arx-agent-home-');
    const env = cleanEnv(home);
    const r = arx(['agent', 'install-service'], { cwd: home, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('systemctl --user enable --now arx-agent.service');
    const unit = readFileSync(join(home, '.config', 'systemd', 'user', 'arx-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\S*node .*bin\/arx agent run$/m);
    expect(unit).toContain('Restart=on-failure');
    expect(arx(['agent', 'install-service'], { cwd: home, env }).stdout).toContain('already up to date');
  });

  it('gives a clear error for bad agent settings', () => {
    const home = tempDir('arx-agent-home-');
    const env = cleanEnv(home);
    for (const [agentCfg, field] of [
      [{ listen: 'localhost' }, 'agent.listen'],
      [{ listen: '127.0.0.1:70000' }, 'agent.listen'],
      [{ projects: ['relative/path'] }, 'agent.projects[0]'],
      [{ debounce_ms: -1 }, 'agent.debounce_ms'],
      [{ max_concurrent_syncs: 0 }, 'agent.max_concurrent_syncs'],
      [{ tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }, '/nonexistent/cert.pem'],
    ] as const) {
      writeFileSync(join(home, '.arxconfig.json'), JSON.stringify({ agent: agentCfg }));
      const r = arx(['agent', 'run'], { cwd: home, env });
      expect(r.code, JSON.stringify(agentCfg)).toBe(2);
      expect(r.stderr).toContain(field);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    writeFileSync(join(home, '.arxconfig.json'), '{}');
    const short = arx(['agent', 'run'], { cwd: home, env: { ...env, ARX_AGENT_TOKEN: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('ARX_AGENT_TOKEN');
  });
});

describe.runIf(which('openssl'))('arx agent over TLS', () => {
  it('serves https with the configured certificate; arx agent status talks to it', async () => {
    const home = tempDir('arx-agent-tls-');
    const cert = join(home, 'cert.pem');
    const key = join(home, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    writeFileSync(join(home, '.arxconfig.json'), JSON.stringify({ agent: { listen: '127.0.0.1:0', tls: { cert, key } } }));
    const env = cleanEnv(home, { XDG_STATE_HOME: join(home, '.local', 'state'), ARX_AGENT_TOKEN: TOKEN });
    const agent = arxSpawn(['agent', 'run'], { cwd: home, env });
    try {
      const lock = join(home, '.local', 'state', 'arx', 'agent', 'agent.lock');
      const address = await until('the agent to listen', () => {
        try {
          return (JSON.parse(readFileSync(lock, 'utf8')) as { address: string | null }).address ?? undefined;
        } catch {
          return undefined;
        }
      });
      expect(address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      // Plain HTTP gets no answer from it, and an unknown certificate is not trusted by default.
      await expect(fetch(address.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
      await expect(fetch(address + '/healthz')).rejects.toThrow();
      const status = arx(['agent', 'status', '--json'], { cwd: home, env });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ running: true, address, projects: [] });
    } finally {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
  });
});

describe('arx agent and a second signal', () => {
  it('stops at once on the second SIGTERM (exit 130), killing a command that ignores the first', async () => {
    const top = tempDir('arx-agent-sig-');
    const home = join(top, 'home');
    const proj = join(top, 'proj');
    mkdirSync(home);
    mkdirSync(proj);
    const marker = `sleep 21.${process.pid % 1000}`;
    writeFileSync(join(proj, 'arxfile.json'), JSON.stringify({ project_id: 'sig', sync: { remote_path: '/projects/sig', interval: 0 }, commands: { pre_sync: [{ name: 'stubborn', command: `trap "" TERM; ${marker}`, timeout: 60 }] } }));
    writeFileSync(join(home, '.arxconfig.json'), JSON.stringify({ remote: { type: 'local', path: join(top, 'remote') }, agent: { listen: '127.0.0.1:0', projects: [proj], watch: false } }));
    const env = cleanEnv(home, { XDG_STATE_HOME: join(home, '.local', 'state'), ARX_AGENT_TOKEN: TOKEN });
    expect(arx(['trust', '--quiet'], { cwd: proj, env }).code).toBe(0);
    const agent = arxSpawn(['agent', 'run'], { cwd: top, env });
    const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    const running = () =>
      readdirSync('/proc').some((pid) => {
        try {
          return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() === marker;
        } catch {
          return false;
        }
      });
    await until('the command to run', () => running() || undefined);
    agent.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    agent.kill('SIGTERM');
    expect(await exited).toBe(130);
    // The first signal alone waits 3 s for the command to stop; the second does not.
    expect(Date.now() - t0).toBeLessThan(2000);
    await until('the command to be gone', () => !running() || undefined, 2000);
  });
});
