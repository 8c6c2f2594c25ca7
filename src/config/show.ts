/** `arx config show`: every effective value, where it came from, secrets masked. */
import { SECRET_KEYS } from './env.js';
import type { EffectiveConfig } from './load.js';
import { MASK, redactText, redactWebhookUrl } from '../util/redact.js';

export interface ShownValue {
  key: string;
  value: unknown;
  source: string;
}

function isSecret(key: string): boolean {
  return SECRET_KEYS.has(key) || /(password|passphrase|secret|token)$/i.test(key);
}

/** Secrets as `***`; webhook URLs as redactWebhookUrl shows them; any other text with its URLs and secrets masked. */
function shown(key: string, value: unknown): unknown {
  if (isSecret(key)) return MASK;
  if (typeof value !== 'string') return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? redactText(v) : v)) : value;
  if (/(^|\.)webhook$/.test(key)) return redactWebhookUrl(value);
  return redactText(value);
}

/** Leaf values in key order; arrays are one value. */
export function flattenConfig(cfg: EffectiveConfig): ShownValue[] {
  const out: ShownValue[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix === '' ? k : `${prefix}.${k}`);
      return;
    }
    out.push({ key: prefix, value: shown(prefix, node), source: sourceOf(cfg, prefix) });
  };
  walk(cfg.raw, '');
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

function sourceOf(cfg: EffectiveConfig, key: string): string {
  for (let k = key; k !== ''; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const s = cfg.sources.get(k);
    if (s !== undefined) return s;
  }
  return 'default';
}

/** The merged configuration as nested JSON with secrets masked. */
export function maskedConfig(cfg: EffectiveConfig): Record<string, unknown> {
  const mask = (node: unknown, prefix: string): unknown => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return shown(prefix, node);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mask(v, prefix === '' ? k : `${prefix}.${k}`)]));
  };
  return mask(cfg.raw, '') as Record<string, unknown>;
}

/** Project settings that were not applied, values masked like the rest. */
export function shownIgnored(cfg: EffectiveConfig): ShownIgnored[] {
  return cfg.ignored.map((i) => ({ key: i.key, value: shown(i.key, i.value), source: i.source, reason: i.reason }));
}

export interface ShownIgnored extends ShownValue {
  reason: string;
}
