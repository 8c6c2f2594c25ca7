/** `arx notify` against a real HTTP receiver on loopback, alone and from a post_sync chain. */
import { createHmac } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
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
    expect(emailOnly.stderr).toContain('notifications.smtp is not set');
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
    // The chain's message, and the completion message of the sync itself.
    expect(rx.received).toHaveLength(2);
    const body = rx.received.find((x) => x.body.phase === 'post_sync')!.body;
    expect(rx.received.find((x) => x.body.event === 'sync_complete')!.body).toMatchObject({ sync_id: status.sync_id, project_id: 'tower', status: 'completed' });
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

describe('notifications after arx sync, signed', () => {
  const secret = 'a shared secret of the receiver';
  const verify = (h: IncomingMessage['headers'], body: string) =>
    h['webhook-signature'] === `v1,${createHmac('sha256', Buffer.from(secret)).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64')}`;

  it('arx sync posts sync_complete with its counts, signed with ARX_WEBHOOK_SECRET; arx notify signs too', async () => {
    const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
    const rx = await receiver((_req, res) => res.end('ok'));
    const raw = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.end();
      });
    });
    servers.push(raw);
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const t = projectWith({ webhook: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/hook`, channels: { other: { webhook: `${rx.url}/o` } } });
    write(t.a, 'symbols/a.json', '{"id":"a"}');
    const env = { ...t.env, ARX_WEBHOOK_SECRET: secret };
    const r = await arxAsync(['sync', '--json', '--quiet'], { cwd: t.a, env });
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(seen).toHaveLength(1);
    const body = JSON.parse(seen[0]!.body);
    expect(body).toMatchObject({ event: 'sync_complete', project_id: 'tower', sync_id: status.sync_id, status: 'completed', files_uploaded: status.files_uploaded, conflicts_pending: 0 });
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
    expect(verify(seen[0]!.headers, seen[0]!.body)).toBe(true);
    // Every configured channel's webhook gets it.
    expect(rx.received.map((x) => x.body.event)).toEqual(['sync_complete']);
    const n = await arxAsync(['notify', '--message', 'signed'], { cwd: t.a, env });
    expect(n.code).toBe(0);
    expect(verify(seen[1]!.headers, seen[1]!.body)).toBe(true);
    expect(JSON.parse(seen[1]!.body).text).toBe('signed');
    // A dry run notifies nobody.
    await arxAsync(['sync', '--dry-run', '--quiet'], { cwd: t.a, env });
    expect(seen).toHaveLength(2);
  });

  it('a webhook that fails is a warning: the sync keeps its own exit code', async () => {
    const down = await receiver();
    await down.close();
    const t = projectWith({ webhook: `${down.url}/SECRET-PATH` });
    write(t.a, 'symbols/a.json', '{"id":"a"}');
    const r = await arxAsync(['sync'], { cwd: t.a, env: t.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('arx: warning: could not notify the webhook of channel "default"');
    expect(r.stderr).not.toContain('SECRET-PATH');
  });

  it('arx notify sends to an e-mail channel through SMTP; a wrong password is a clear error', async () => {
    const mails: { subject: string; to: string }[] = [];
    const smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth: (auth, _s, cb) => (auth.username === 'arx' && auth.password === 'pw-1234' ? cb(null, { user: 'arx' }) : cb(new Error('Invalid username or password'))),
      onData(stream, _session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '', to: /^To: (.*)$/m.exec(raw)?.[1] ?? '' });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    try {
      const port = (smtp.server.address() as AddressInfo).port;
      const t = projectWith({ channels: { mail: { email: 'team@example.com' } }, smtp: { host: '127.0.0.1', port, username: 'arx', from: 'arx@example.com' } });
      const noPassword = await arxAsync(['notify', '--channel', 'mail', '--message', 'hello'], { cwd: t.a, env: t.env });
      expect(noPassword.code).toBe(2);
      expect(noPassword.stderr).toContain('ARX_SMTP_PASSWORD');
      const wrong = await arxAsync(['notify', '--channel', 'mail', '--message', 'hello'], { cwd: t.a, env: { ...t.env, ARX_SMTP_PASSWORD: 'wrong-pw' } });
      expect(wrong.code).toBe(5);
      expect(wrong.stderr).toContain(`could not send e-mail through 127.0.0.1:${port}`);
      expect(wrong.stderr).not.toContain('wrong-pw');
      const ok = await arxAsync(['notify', '--channel', 'mail', '--message', 'hello'], { cwd: t.a, env: { ...t.env, ARX_SMTP_PASSWORD: 'pw-1234' } });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('e-mail to team@example.com');
      expect(mails).toEqual([{ subject: 'arx: Office Tower: hello', to: 'team@example.com' }]);
    } finally {
      await new Promise<void>((r) => smtp.close(() => r()));
    }
  });
});
