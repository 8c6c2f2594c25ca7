/**
 * POST a JSON message to a webhook, with a timeout. Credentials in the URL's
 * user-info are sent as HTTP basic authentication (fetch refuses URLs that
 * hold them). Errors show the URL only as redactWebhookUrl does, whatever fetch or
 * undici put in their messages and causes.
 */
import { ArxError } from '../errors.js';
import { redactText, redactWebhookUrl } from '../util/redact.js';

export interface WebhookResult {
  status: number;
}

/** The receiver answered with an error status; `retryAfterMs` from its Retry-After, when it gave one. */
export class WebhookRejected extends ArxError {
  constructor(message: string, readonly status: number, readonly retryAfterMs: number | undefined) {
    super('remote', 'WEBHOOK_REJECTED', message);
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The URL without its user-info, and the Authorization header that carries it instead. */
export function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (u.username === '' && u.password === '') return { url, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.href, headers: { authorization: `Basic ${basic}` } };
}

/** Why fetch failed, in a few words: the innermost cause's code, else its message; never a URL. */
function failureReason(err: Error & { cause?: unknown }): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error && e.cause instanceof Error; depth++) e = e.cause;
  const inner = e as Error & { code?: unknown };
  const why = typeof inner.code === 'string' ? inner.code : inner.message || err.message;
  return redactText(why);
}

export interface PostOptions {
  timeoutMs: number;
  channel: string;
  /** Extra headers (the signature). */
  headers?: Record<string, string>;
  /** Ends the request early (the agent stopping). */
  signal?: AbortSignal;
}

/** POSTs `body` (an object, or JSON text as signed) once. */
export async function postWebhook(url: string, body: unknown, opts: PostOptions): Promise<WebhookResult> {
  const where = `the webhook of channel "${opts.channel}" (${redactWebhookUrl(url)})`;
  let res: Response;
  try {
    const target = splitCredentials(url);
    res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'arx', ...opts.headers, ...target.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: opts.signal ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]) : AbortSignal.timeout(opts.timeoutMs),
      redirect: 'follow',
    });
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    if (e.name === 'TimeoutError') {
      throw new ArxError('network', 'WEBHOOK_TIMEOUT', `${where} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (notifications.timeout)`);
    }
    // No cause: the error's URL-bearing message and stack stay behind.
    throw new ArxError('network', 'WEBHOOK_UNREACHABLE', `could not reach ${where}: ${failureReason(e)}`);
  }
  // The answer's body is not needed; release the connection.
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) {
    throw new WebhookRejected(`${where} answered HTTP ${res.status}${res.statusText ? ` ${redactText(res.statusText)}` : ''}`, res.status, parseRetryAfter(res.headers.get('retry-after'), new Date()));
  }
  return { status: res.status };
}
