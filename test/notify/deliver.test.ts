import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverWebhook, isSlackWebhook } from '../../src/notify/deliver.js';
import { signatureHeaders, webhookKey } from '../../src/notify/signing.js';
import { parseRetryAfter } from '../../src/notify/webhook.js';

describe('Standard Webhooks signatures', () => {
  it('match the specification test vector', () => {
    const key = webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const h = signatureHeaders(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(h).toEqual({ 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' });
  });

  it('use the bytes of a secret without the whsec_ prefix, and refuse a prefix without base64', () => {
    expect(webhookKey('plain secret').toString()).toBe('plain secret');
    expect(() => webhookKey('whsec_')).toThrow(/base64/);
    expect(() => webhookKey('whsec_not base64!')).toThrow(/ARX_WEBHOOK_SECRET/);
  });

  it('Retry-After in seconds or as a date', () => {
    const now = new Date('2026-12-04T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('knows a Slack incoming webhook', () => {
    expect(isSlackWebhook('https://hooks.slack.com/services/T/B/X')).toBe(true);
    expect(isSlackWebhook('https://example.com/hooks.slack.com')).toBe(false);
  });
});

describe('webhook delivery', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });
  async function serve(answers: { status: number; headers?: Record<string, string> }[]) {
    const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
        res.writeHead(a.status, a.headers).end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/h`, seen };
  }
  const waits: number[] = [];
  const base = { channel: 'default', timeoutMs: 2000, sleep: async (ms: number) => void waits.push(ms), random: () => 0.5 };

  it('retries 5xx and 429 with growing waits, honouring Retry-After, with one id and fresh timestamps', async () => {
    waits.length = 0;
    const rx = await serve([{ status: 500 }, { status: 429, headers: { 'retry-after': '9' } }, { status: 503 }, { status: 204 }]);
    const r = await deliverWebhook(rx.url, { event: 'x' }, 'x', { ...base, attempts: 5, secret: 'k' });
    expect(r).toEqual({ ok: true, status: 204, attempts: 4 });
    expect(waits).toEqual([750, 9000, 3000]);
    expect(new Set(rx.seen.map((s) => s.headers['webhook-id'])).size).toBe(1);
    expect(rx.seen.every((s) => s.body === '{"event":"x"}')).toBe(true);
  });

  it('does not retry a 4xx, and stops sending to a URL that answered 410', async () => {
    const bad = await serve([{ status: 400 }]);
    expect(await deliverWebhook(bad.url, {}, 't', { ...base, attempts: 5 })).toMatchObject({ ok: false, attempts: 1, gone: false });
    const gone = await serve([{ status: 410 }, { status: 200 }]);
    expect(await deliverWebhook(gone.url, {}, 't', { ...base, attempts: 5 })).toMatchObject({ ok: false, attempts: 1, gone: true });
    expect(await deliverWebhook(gone.url, {}, 't', { ...base, attempts: 5 })).toMatchObject({ ok: false, attempts: 0, gone: true });
    expect(gone.seen).toHaveLength(1);
  });

  it('gives up after the last attempt, saying why', async () => {
    const rx = await serve([{ status: 502 }]);
    const r = await deliverWebhook(rx.url, {}, 't', { ...base, attempts: 3 });
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    expect(r.ok === false && r.reason).toContain('HTTP 502');
    expect(rx.seen).toHaveLength(3);
    expect(rx.seen[0]!.headers['webhook-signature']).toBeUndefined();
  });
});
