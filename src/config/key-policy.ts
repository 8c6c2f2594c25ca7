/**
 * Which settings a project file may set. arxfile.json travels with the project,
 * so whoever can write the remote copy writes it: settings that decide where data
 * goes, whom arx trusts and how safe a sync is come only from this machine (the
 * global file, .env files, the environment).
 *
 * - local-only: ignored in arxfile.json, with a warning saying where to set it;
 * - safety: taken from arxfile.json only where that makes a sync stricter;
 * - everything else describes the project and may travel.
 */
import { ENV_KEYS } from './env.js';

/** Top-level sections a project file may not set at all, and why. */
export const LOCAL_ONLY_SECTIONS: Record<string, string> = {
  remote: 'where the project is synced to and whom arx trusts are set only on this machine',
  notifications: 'where messages are sent (and the tokens in webhook URLs) are set only on this machine',
  agent: 'the agent runs on this machine and is configured only there',
};

/** How a safety setting gets stricter. */
type Stricter = (local: unknown, project: unknown) => boolean;

export interface SafetyKey {
  key: string;
  /** True when the project's value is at least as strict as the local one. */
  atLeastAsStrict: Stricter;
  /** Says which way is stricter, for the warning. */
  direction: string;
}

/** Retention in days, where 0 keeps backups forever (the strictest). */
const retention = (days: unknown): number => (days === 0 ? Infinity : Number(days));

export const SAFETY_KEYS: readonly SafetyKey[] = [
  { key: 'sync.auto_backup', atLeastAsStrict: (l, p) => p === true || l === false, direction: 'a project file may turn backups on, not off' },
  { key: 'sync.max_delete_percent', atLeastAsStrict: (l, p) => Number(p) <= Number(l), direction: 'a project file may only lower it' },
  { key: 'sync.backup_retention_days', atLeastAsStrict: (l, p) => retention(p) >= retention(l), direction: 'a project file may only keep backups longer (0 keeps them forever)' },
];

/** A project setting that was not applied. */
export interface IgnoredSetting {
  key: string;
  /** The value as written (secrets masked by the caller before showing). */
  value: unknown;
  source: string;
  reason: string;
}

/** The ARX_* variable that sets a key, if there is one. */
export function envVarFor(key: string): string | undefined {
  return Object.entries(ENV_KEYS).find(([, spec]) => spec.key === key)?.[0];
}

/** Where a user sets a local-only key instead: the global file, or its variable. */
export function whereToSet(key: string, globalFile: string): string {
  const variable = envVarFor(key);
  return variable === undefined ? `set it in ${globalFile}` : `set it in ${globalFile} or with ${variable} (in .env or the environment)`;
}

function leaves(node: unknown, prefix: string, out: [string, unknown][]): [string, unknown][] {
  if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
    for (const [k, v] of Object.entries(node)) leaves(v, `${prefix}.${k}`, out);
  } else out.push([prefix, node]);
  return out;
}

/**
 * Split a validated project layer: what may be merged as it is, and every
 * local-only key it tried to set (one entry per leaf, for the warnings).
 * Safety keys stay in `travels`; `applySafety` decides them against the local value.
 */
export function splitProjectLayer(data: Record<string, unknown>): { travels: Record<string, unknown>; localOnly: [string, unknown][] } {
  const travels: Record<string, unknown> = {};
  const localOnly: [string, unknown][] = [];
  for (const [section, value] of Object.entries(data)) {
    if (section in LOCAL_ONLY_SECTIONS) leaves(value, section, localOnly);
    else travels[section] = value;
  }
  return { travels, localOnly };
}

/** The section's reason for a local-only key. */
export function localOnlyReason(key: string): string {
  return LOCAL_ONLY_SECTIONS[key.split('.')[0]!] ?? 'it is set only on this machine';
}
