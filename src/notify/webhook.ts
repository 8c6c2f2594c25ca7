/** POST a JSON message to a webhook, with a timeout. Errors never show the URL's path or query. */
import { ArxError } from '../errors.js';
import { redactUrl } from '../util/redact.js';

export interface WebhookResult {
  status: number;
}

export async function postWebhook(url: string, body: unknown, opts: { timeoutMs: number; channel: string }): Promise<WebhookResult> {
  const where = `the webhook of channel "${opts.channel}" (${redactUrl(url)})`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'arx' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'follow',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') {
      throw new ArxError('network', 'WEBHOOK_TIMEOUT', `${where} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (notifications.timeout)`);
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new ArxError('network', 'WEBHOOK_UNREACHABLE', `could not reach ${where}: ${why}`);
  }
  // The answer's body is not needed; release the connection.
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new ArxError('remote', 'WEBHOOK_REJECTED', `${where} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  return { status: res.status };
}
