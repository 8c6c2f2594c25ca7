/** `arx notify` against a real HTTP receiver on loopback, alone and from a post_sync chain. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { arx, arxAsync, cleanEnv, tempDir, twoSided, write } from '../helpers/cli.js';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: any;
}

interface Receiver {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An HTTP server on 127.0.0.1 that records what it gets and answers with `reply`. */
async function receiver(reply: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.end('ok')): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], authorization: req.headers.authorization, body: data ? JSON.parse(data) : undefined });
      reply(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, received, close: () => new Promise((r) => server.close(() => r())) };
}

/** Notifications are local-only: they are set in the global file. */
function projectWith(notifications: unknown, extra: Record<string, unknown> = {}) {
  const t = twoSided('tower', { name: 'Office Tower', ...extra });
  t.setGlobal('a', (cfg) => (cfg.notifications = notifications));
  return t;
}

describe('arx notify', () => {
  it('posts JSON to the default channel (the top-level webhook), never printing the URL path', async () => {
    const rx = await receiver();
    const t = projectWith({ webhook: `${rx.url}/hooks/SECRET-TOKEN` });
    const r = await arxAsync(['notify', '--message', 'models updated'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(0);
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]).toMatchObject({ method: 'POST', url: '/hooks/SECRET-TOKEN', contentType: 'application/json' });
    expect(rx.received[0]!.body).toMatchObject({ text: 'models updated', message: 'models updated', channel: 'default', project_id: 'tower', project_name: 'Office Tower', sync: null });
    expect(r.stdout).toContain('sent to channel "default"');
    expect(r.stdout + r.stderr).not.toContain('SECRET-TOKEN');
  });

  it('sends through a named channel; --channel=NAME form works', async () => {
    const team = await receiver();
    const other = await receiver();
    const t = projectWith({ webhook: `${other.url}/default`, channels: { team: { webhook: `${team.url}/team` } } });
    const r = await arxAsync(['notify', '--channel=team', '--message', 'hello team'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(0);
    expect(team.received.map((x) => x.body.text)).toEqual(['hello team']);
    expect(team.received[0]!.body.channel).toBe('team');
    expect(other.received).toHaveLength(0);
  });

  it('channels in arxfile.json are ignored with a warning: only this machine says where messages go', async () => {
    const rx = await receiver();
    const t = projectWith({ channels: { ops: { webhook: `${rx.url}/ops` } } }, { notifications: { channels: { project_only: { webhook: `${rx.url}/p` } } } });
    const ok = await arxAsync(['notify', '--channel', 'ops', '--message', 'm'], { cwd: t.a, env: t.env });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('arxfile.json: notifications.channels.project_only.webhook is ignored');
    expect(ok.stderr).toContain(`set it in ${t.globalFile('a')}`);
    const refused = await arxAsync(['notify', '--channel', 'project_only', '--message', 'm'], { cwd: t.a, env: t.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('no notification channel named "project_only" (configured: ops)');
    expect(rx.received.map((x) => x.url)).toEqual(['/ops']);
  });

  it('an unknown channel, or one with no sender, is a clear configuration error (exit 2)', async () => {
    const rx = await receiver();
    const t = projectWith({ channels: { team: { webhook: `${rx.url}/t` }, mail: { email: 'team@example.com' } } });
    const unknown = arx(['notify', '--channel', 'ops'], { cwd: t.a, env: t.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no notification channel named "ops" (configured: team, mail)');
    const none = arx(['notify'], { cwd: t.a, env: t.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no notification channel named "default"');
    const emailOnly = arx(['notify', '--channel', 'mail'], { cwd: t.a, env: t.env });
    expect(emailOnly.code).toBe(2);
    expect(emailOnly.stderr).toContain('channel "mail" only has an email address');
    const empty = projectWith({ channels: { blank: {} } });
    const blank = arx(['notify', '--channel', 'blank'], { cwd: empty.a, env: empty.env });
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('channel "blank" has no sender');
    const noText = arx(['notify', '--channel', 'team', '--message', ''], { cwd: t.a, env: t.env });
    expect(noText.code).toBe(2);
    expect(rx.received).toHaveLength(0);
  });

  it('a webhook that is not an http(s) URL is refused when the configuration loads', () => {
    const t = projectWith({ channels: { team: { webhook: 'ftp://example.com/x' } } });
    const r = arx(['notify', '--channel', 'team'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('notifications.channels.team.webhook: expected an http:// or https:// URL');
  });

  it('a receiver that fails, is down or does not answer: exit 5, the URL path never shown', async () => {
    const failing = await receiver((_q, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const silent = await receiver(() => undefined); // never answers
    const down = await receiver();
    await down.close();
    const t = projectWith({
      timeout: 1,
      channels: {
        failing: { webhook: `${failing.url}/SECRET-A` },
        silent: { webhook: `${silent.url}/SECRET-B` },
        down: { webhook: `${down.url}/SECRET-C` },
      },
    });
    const f = await arxAsync(['notify', '--channel', 'failing', '--message', 'x'], { cwd: t.a, env: t.env });
    expect(f.code).toBe(5);
    expect(f.stderr).toContain(`the webhook of channel "failing" (http://127.0.0.1:${failing.port}/***) answered HTTP 500`);
    const s = await arxAsync(['notify', '--channel', 'silent', '--message', 'x'], { cwd: t.a, env: t.env });
    expect(s.code).toBe(5);
    expect(s.stderr).toContain('did not answer within 1 s');
    const d = await arxAsync(['notify', '--channel', 'down', '--message', 'x'], { cwd: t.a, env: t.env });
    expect(d.code).toBe(5);
    expect(d.stderr).toContain('could not reach the webhook of channel "down"');
    expect(d.stderr).toContain('ECONNREFUSED');
    for (const r of [f, s, d]) {
      expect(r.stderr).not.toMatch(/SECRET-/);
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('credentials in a webhook URL are sent as basic authentication and never shown, also when sending fails', async () => {
    const rx = await receiver();
    const failing = await receiver((_q, res) => {
      res.statusCode = 500;
      res.end();
    });
    const down = await receiver();
    await down.close();
    const t = twoSided('tower', { name: 'Office Tower' });
    const hook = (url: string) => url.replace('http://', 'http://hook-user:s3cr%40t-pw@') + '/hooks/H00K?token=T0K3N-VALUE';
    t.setGlobal('a', (cfg) => (cfg.notifications = { channels: { ok: { webhook: hook(rx.url) }, failing: { webhook: hook(failing.url) }, down: { webhook: hook(down.url) } } }));
    const ok = await arxAsync(['notify', '--channel', 'ok', '--message', 'hi'], { cwd: t.a, env: t.env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(rx.received[0]).toMatchObject({ url: '/hooks/H00K?token=T0K3N-VALUE', authorization: `Basic ${Buffer.from('hook-user:s3cr@t-pw').toString('base64')}` });
    expect(ok.stdout).toContain(`sent to channel "ok" (http://***@127.0.0.1:${rx.port}/***, HTTP 200)`);
    const f = await arxAsync(['notify', '--channel', 'failing', '--message', 'x', '--verbose'], { cwd: t.a, env: t.env });
    expect(f.code).toBe(5);
    expect(f.stderr).toContain(`the webhook of channel "failing" (http://***@127.0.0.1:${failing.port}/***) answered HTTP 500`);
    const d = await arxAsync(['notify', '--channel', 'down', '--message', 'x', '--verbose'], { cwd: t.a, env: t.env });
    expect(d.code).toBe(5);
    expect(d.stderr).toContain(`could not reach the webhook of channel "down" (http://***@127.0.0.1:${down.port}/***): ECONNREFUSED`);
    for (const r of [ok, f, d]) expect(r.stdout + r.stderr).not.toMatch(/hook-user|s3cr|H00K|T0K3N/);
  });

  it('config show does not reveal webhook paths', () => {
    const t = projectWith({ webhook: 'https://hooks.example.com/services/SECRET', channels: { team: { webhook: 'https://chat.example.com/SECRET2' } } });
    const r = arx(['config', 'show', '--json'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
    expect(r.stdout).toContain('https://hooks.example.com/***');
  });

  it('from a post_sync chain, the message tells what the sync did', async () => {
    const rx = await receiver();
    const t = projectWith(
      { channels: { team: { webhook: `${rx.url}/team` } } },
      { commands: { post_sync: [{ name: 'notify_team', command: 'arx notify --channel=team', timeout: 30, required: false }] } },
    );
    write(t.a, 'symbols/a.json', '{}');
    write(t.a, 'symbols/b.json', '{}');
    expect(t.trust('a').code).toBe(0);
    const r = await arxAsync(['sync', '--json', '--quiet'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status.commands[0]).toMatchObject({ name: 'notify_team', success: true });
    expect(rx.received).toHaveLength(1);
    const body = rx.received[0]!.body;
    expect(body.phase).toBe('post_sync');
    expect(body.sync).toMatchObject({ sync_id: status.sync_id, files_uploaded: status.files_uploaded });
    expect(body.text).toContain(`Office Tower (tower): ${status.sync_id} synced: ${status.files_uploaded} uploaded`);
  });

  it('outside a project it says how to make one', () => {
    const home = tempDir();
    const r = arx(['notify', '--channel', 'team'], { cwd: home, env: cleanEnv(join(home, 'h')) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('arx init');
  });
});
