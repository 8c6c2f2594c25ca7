/**
 * Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`.
 * The key is the base64 part after `whsec_`, or the secret's own bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

export const WEBHOOK_SECRET_ENV = 'ARX_WEBHOOK_SECRET';

/** The signing secret, when set (an empty value signs nothing). */
export function webhookSecret(env: NodeJS.ProcessEnv): string | undefined {
  return env[WEBHOOK_SECRET_ENV] || undefined;
}

export function webhookKey(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice('whsec_'.length);
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new ConfigError(`${WEBHOOK_SECRET_ENV}: after "whsec_" a secret holds base64 (the key's bytes); give it so, or without the prefix to use the text itself`, 'WEBHOOK_SECRET_INVALID');
  }
  return key;
}

/** One id per message, the same on every retry of it. */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

export function signatureHeaders(key: Buffer, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${mac}` };
}
