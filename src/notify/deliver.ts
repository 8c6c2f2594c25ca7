/**
 * One webhook message, delivered: signed when ARX_WEBHOOK_SECRET is set
 * (signing.ts), retried with exponential back-off and jitter on network
 * errors, timeouts, 408, 429 and 5xx, honouring Retry-After. A 410 (Gone)
 * stops deliveries to that URL until the process restarts. A Slack incoming
 * webhook gets `{"text": ...}` only.
 */
import { ArxError } from '../errors.js';
import { newWebhookId, signatureHeaders, webhookKey } from './signing.js';
import { postWebhook, WebhookRejected } from './webhook.js';

export interface DeliveryOptions {
  channel: string;
  timeoutMs: number;
  /** ARX_WEBHOOK_SECRET, when set. */
  secret?: string;
  /** Attempts in all (1: no retry). */
  attempts: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  now?(): Date;
  /** Before each retry: why, and how long it waits. */
  onRetry?(attempt: number, delayMs: number, reason: string): void;
}

export type DeliveryResult = { ok: true; status: number; attempts: number } | { ok: false; reason: string; attempts: number; gone: boolean };

/** URLs that answered 410 Gone: nothing more is sent to them by this process. */
const goneUrls = new Set<string>();

export function isSlackWebhook(url: string): boolean {
  try {
    return new URL(url).hostname === 'hooks.slack.com';
  } catch {
    return false;
  }
}

function retriable(err: unknown): boolean {
  if (err instanceof WebhookRejected) return err.status === 408 || err.status === 429 || err.status >= 500;
  return err instanceof ArxError && (err.code === 'WEBHOOK_TIMEOUT' || err.code === 'WEBHOOK_UNREACHABLE');
}

/** Waits `ms`, or less when the signal aborts. */
function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `payload`: the full message; `text`: what a Slack webhook shows instead. */
export async function deliverWebhook(url: string, payload: object, text: string, o: DeliveryOptions): Promise<DeliveryResult> {
  if (goneUrls.has(url)) return { ok: false, reason: 'it answered 410 Gone earlier; nothing more is sent to it until arx restarts', attempts: 0, gone: true };
  const body = JSON.stringify(isSlackWebhook(url) ? { text } : payload);
  const key = o.secret ? webhookKey(o.secret) : undefined;
  const id = newWebhookId();
  const sleep = o.sleep ?? ((ms: number) => sleepUnless(ms, o.signal));
  const random = o.random ?? Math.random;
  const now = o.now ?? (() => new Date());
  const first = o.firstDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 60_000;
  let reason = '';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (o.signal?.aborted) return { ok: false, reason: 'stopped', attempts: attempt - 1, gone: false };
    // A fresh timestamp on each attempt (receivers refuse old ones); the id stays.
    const headers = key ? signatureHeaders(key, id, Math.floor(now().getTime() / 1000), body) : {};
    try {
      const res = await postWebhook(url, body, { timeoutMs: o.timeoutMs, channel: o.channel, headers, ...(o.signal ? { signal: o.signal } : {}) });
      return { ok: true, status: res.status, attempts: attempt };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
      if (err instanceof WebhookRejected && err.status === 410) {
        goneUrls.add(url);
        return { ok: false, reason, attempts: attempt, gone: true };
      }
      if (!retriable(err) || attempt === o.attempts) return { ok: false, reason, attempts: attempt, gone: false };
      const backoff = Math.min(first * 2 ** (attempt - 1), max);
      // Full jitter in the upper half: receivers recovering from an outage are not hit all at once.
      let delay = Math.round(backoff / 2 + (random() * backoff) / 2);
      if (err instanceof WebhookRejected && err.retryAfterMs !== undefined) delay = Math.min(Math.max(delay, err.retryAfterMs), 5 * max);
      o.onRetry?.(attempt, delay, reason);
      await sleep(delay);
      if (o.signal?.aborted) return { ok: false, reason: `${reason}; not retried: arx is stopping`, attempts: attempt, gone: false };
    }
  }
  return { ok: false, reason, attempts: o.attempts, gone: false };
}
