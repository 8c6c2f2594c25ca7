/**
 * The agent's HTTP API (fastify, JSON). Every route but /healthz needs
 * `Authorization: Bearer <token>`; the Host header must name this agent (a
 * page elsewhere cannot reach it through DNS rebinding); no CORS headers, so
 * browsers never hand a response to another site. The API starts, pauses and
 * resumes syncs and reads what they did, nothing more: it never runs a
 * command, edits configuration or approves a chain.
 */
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { redactText } from '../util/redact.js';
import type { AgentEvent } from './events.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentModel } from './model.js';
import { bearerMatches } from './token.js';

export interface ApiOptions {
  model: AgentModel;
  metrics: AgentMetrics;
  token: string;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Host names the API answers to besides loopback names and the listen host. */
  allowedHosts: string[];
}

export interface RunningApi {
  /** http(s)://host:port, the port the system chose when 0 was asked. */
  address: string;
  close(): Promise<void>;
}

export const HISTORY_DEFAULT = 20;
export const HISTORY_MAX = 1000;
const SSE_PING_MS = 15_000;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The host name of a Host header: `name:port`, `[v6]:port` or a bare name. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

function fail(reply: FastifyReply, code: number, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(code).send({ error: message, ...extra });
}

function sseLine(e: AgentEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ id: e.id, type: e.type, time: e.time, ...e.data })}\n\n`;
}

/** Last-Event-ID (a reconnecting EventSource) or ?since=N; none: only what happens from now on. */
function resumeFrom(req: FastifyRequest, newest: number): number | 'invalid' {
  const header = req.headers['last-event-id'];
  const query = (req.query as { since?: string }).since;
  const given = typeof header === 'string' && header !== '' ? header : query;
  if (given === undefined) return newest;
  return /^\d{1,15}$/.test(given) ? Number(given) : 'invalid';
}

export function buildApi(opts: ApiOptions): FastifyInstance {
  const app = fastify({ logger: false, forceCloseConnections: true, bodyLimit: 16 * 1024, return503OnClosing: true, ...(opts.tls ? { https: opts.tls } : {}) } as never) as unknown as FastifyInstance;
  const allowed = new Set([...LOOPBACK_NAMES, opts.host.toLowerCase(), ...opts.allowedHosts.map((h) => h.toLowerCase())]);
  const streams = new Set<ServerResponse>();

  // A POST may come with `content-type: application/json` and no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the request body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const name = hostName(req.headers.host);
    if (name === undefined || !allowed.has(name)) {
      return fail(reply, 403, `host ${JSON.stringify(req.headers.host ?? '')} is not this agent's address (add it to agent.allowed_hosts to allow it)`);
    }
    if (req.url === '/healthz') return;
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      reply.header('www-authenticate', 'Bearer realm="arx agent"');
      return fail(reply, 401, 'missing or wrong token: send "Authorization: Bearer <token>" (arx agent token prints it)');
    }
  });

  app.setNotFoundHandler((req, reply) => fail(reply, 404, `no such route: ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return fail(reply, code, redactText(err.message));
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/api/v1/projects', async () => opts.model.projects());

  const unknownProject = (reply: FastifyReply, id: string) => fail(reply, 404, `no project ${JSON.stringify(id)} in this agent (GET /api/v1/projects lists them)`);

  app.post<{ Params: { id: string } }>('/api/v1/projects/:id/sync', async (req, reply) => {
    const r = opts.model.requestSync(req.params.id);
    if (r === undefined) return unknownProject(reply, req.params.id);
    if ('refused' in r) return fail(reply, 409, r.message, { reason: r.refused });
    return reply.code(202).send(r);
  });

  app.get<{ Params: { id: string } }>('/api/v1/syncs/:id', async (req, reply) => {
    const s = opts.model.sync(req.params.id);
    return s ?? fail(reply, 404, `no sync ${JSON.stringify(req.params.id)} in this agent's projects`);
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/v1/projects/:id/history', async (req, reply) => {
    const raw = req.query.limit;
    const limit = raw === undefined ? HISTORY_DEFAULT : /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= HISTORY_MAX)) return fail(reply, 400, `limit: expected a whole number from 1 to ${HISTORY_MAX}, got ${JSON.stringify(raw)}`);
    return opts.model.history(req.params.id, limit) ?? unknownProject(reply, req.params.id);
  });

  app.get<{ Params: { id: string } }>('/api/v1/projects/:id/conflicts', async (req, reply) => opts.model.conflicts(req.params.id) ?? unknownProject(reply, req.params.id));

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/projects/:id/${action}`, async (req, reply) => {
      if (!opts.model[action](req.params.id)) return unknownProject(reply, req.params.id);
      return opts.model.projects().find((p) => p.project_id === req.params.id);
    });
  }

  app.get('/api/v1/events', (req, reply) => {
    const from = resumeFrom(req, opts.model.events.newestId);
    if (from === 'invalid') return fail(reply, 400, 'Last-Event-ID / since: expected the id of an event (a whole number)');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const { events, dropped } = opts.model.events.since(from);
    // Ids are consecutive: a client sees the gap too.
    if (dropped) res.write(': some events were dropped (more happened than the agent keeps)\n\n');
    for (const e of events) res.write(sseLine(e));
    const unsubscribe = opts.model.events.subscribe((e) => res.write(sseLine(e)));
    const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
    streams.add(res);
    res.on('close', () => {
      unsubscribe();
      clearInterval(ping);
      streams.delete(res);
    });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.contentType);
    return opts.metrics.text();
  });

  app.addHook('onClose', async () => {
    for (const res of streams) res.end();
  });
  return app;
}

export async function startApi(opts: ApiOptions): Promise<RunningApi> {
  const app = buildApi(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { address: `${opts.tls ? 'https' : 'http'}://${host}:${port}`, close: () => app.close() };
}
