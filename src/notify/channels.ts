/**
 * Notification channels: `notifications.channels.<name>` ({webhook} and/or
 * {email}); the top-level `notifications.webhook` / `.email` form the
 * channel named "default".
 */
import type { NotificationsConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_CHANNEL = 'default';

/** Seconds a webhook or mail server may take to answer when notifications.timeout is not set. */
const DEFAULT_TIMEOUT_S = 10;

export function notifyTimeoutMs(n: NotificationsConfig): number {
  return (n.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
}

export interface Channel {
  name: string;
  webhook?: string;
  email?: string;
}

export function listChannels(n: NotificationsConfig): string[] {
  const names = Object.keys(n.channels ?? {});
  if ((n.webhook || n.email) && !names.includes(DEFAULT_CHANNEL)) names.unshift(DEFAULT_CHANNEL);
  return names;
}

/** The channel to send through; a clear configuration error when it does not exist or has no sender. */
export function findChannel(n: NotificationsConfig, name: string = DEFAULT_CHANNEL): Channel {
  const named = n.channels?.[name];
  const found = named ?? (name === DEFAULT_CHANNEL && (n.webhook || n.email) ? { webhook: n.webhook, email: n.email } : undefined);
  if (found === undefined) {
    const known = listChannels(n);
    throw new ConfigError(
      `no notification channel named "${name}" (${known.length > 0 ? `configured: ${known.join(', ')}` : 'none is configured'}); add notifications.channels.${name} = {"webhook": "https://..."} in ~/.arxconfig.json (or the file ARX_CONFIG names)`,
      'UNKNOWN_CHANNEL',
    );
  }
  if (!found.webhook && !found.email) {
    throw new ConfigError(`notification channel "${name}" has no sender: give it a "webhook" URL or an "email" address`, 'CHANNEL_WITHOUT_SENDER');
  }
  return { name, ...(found.webhook ? { webhook: found.webhook } : {}), ...(found.email ? { email: found.email } : {}) };
}
