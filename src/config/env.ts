/**
 * The environment layer: `.env`, then `.env.<ARX_ENV>`, then the process
 * environment. Each ARX_* variable maps to one configuration key.
 */
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../errors.js';
import { readBoundedFile } from '../util/bounded-file.js';
import { CONFLICT_POLICIES, envLayerSchema, REMOTE_TYPES, parseSize } from './schema.js';
import { validateLayer } from './validate.js';

type Kind = 'string' | 'port' | 'int' | 'days' | 'seconds' | 'percent' | 'bool' | 'size' | { oneOf: readonly string[] };

interface EnvKey {
  key: string; // dotted config key
  kind: Kind;
  secret?: boolean;
}

/** Every variable arx reads, and the key it sets. Documented in the README. */
export const ENV_KEYS: Record<string, EnvKey> = {
  ARX_REMOTE_TYPE: { key: 'remote.type', kind: { oneOf: REMOTE_TYPES } },
  ARX_REMOTE_PATH: { key: 'remote.path', kind: 'string' },
  ARX_REMOTE_HOST: { key: 'remote.host', kind: 'string' },
  ARX_REMOTE_PORT: { key: 'remote.port', kind: 'port' },
  ARX_REMOTE_USERNAME: { key: 'remote.username', kind: 'string' },
  ARX_REMOTE_PASSWORD: { key: 'remote.password', kind: 'string', secret: true },
  ARX_REMOTE_KEY_FILE: { key: 'remote.key_file', kind: 'string' },
  ARX_REMOTE_KEY_PASSPHRASE: { key: 'remote.key_passphrase', kind: 'string', secret: true },
  ARX_REMOTE_KNOWN_HOSTS: { key: 'remote.known_hosts', kind: 'string' },
  ARX_REMOTE_HOST_KEY_POLICY: { key: 'remote.host_key_policy', kind: { oneOf: ['strict', 'accept-new'] } },
  ARX_SYNC_ENABLED: { key: 'sync.enabled', kind: 'bool' },
  ARX_SYNC_INTERVAL: { key: 'sync.interval', kind: 'int' },
  ARX_SYNC_REMOTE_PATH: { key: 'sync.remote_path', kind: 'string' },
  ARX_SYNC_PARALLEL: { key: 'sync.parallel', kind: 'int' },
  ARX_CONFLICT_RESOLUTION: { key: 'sync.conflict_resolution', kind: { oneOf: CONFLICT_POLICIES } },
  ARX_AUTO_BACKUP: { key: 'sync.auto_backup', kind: 'bool' },
  ARX_MAX_FILE_SIZE: { key: 'sync.max_file_size', kind: 'size' },
  ARX_MAX_DELETE_PERCENT: { key: 'sync.max_delete_percent', kind: 'percent' },
  ARX_BACKUP_RETENTION_DAYS: { key: 'sync.backup_retention_days', kind: 'days' },
  ARX_LOCK_WAIT: { key: 'sync.lock_wait', kind: 'seconds' },
  ARX_REMOTE_LOCK_LEASE: { key: 'remote.lock_lease', kind: 'seconds' },
};

/** Configuration keys whose values are secrets: never printed. */
export const SECRET_KEYS = new Set(
  Object.values(ENV_KEYS)
    .filter((k) => k.secret)
    .map((k) => k.key),
);

function convert(name: string, raw: string, kind: Kind, label: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(`${label}: ${name}: expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  const text = raw.trim();
  if (typeof kind === 'object') return kind.oneOf.includes(text) ? text : fail(`one of ${kind.oneOf.join(', ')}`);
  switch (kind) {
    case 'string':
      return text === '' ? fail('a non-empty value') : raw;
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return fail('true or false');
    case 'int':
      return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : fail('a positive whole number');
    case 'days':
      return /^\d+(\.\d+)?$/.test(text) ? Number(text) : fail('a number of days');
    case 'seconds':
      return /^\d+(\.\d+)?$/.test(text) ? Number(text) : fail('a number of seconds');
    case 'port':
      return /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : fail('a port number 1-65535');
    case 'percent':
      return /^\d+(\.\d+)?$/.test(text) && Number(text) <= 100 ? Number(text) : fail('a percentage 0-100');
    case 'size':
      return parseSize(text) ?? fail('a size such as 104857600 or 100MB');
  }
}

/** Build a nested layer object from ARX_* variables. */
export function envToLayer(vars: Record<string, string | undefined>, label: string): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = vars[name];
    if (raw === undefined) continue;
    const value = convert(name, raw, spec.kind, label);
    const [section, field] = spec.key.split('.') as [string, string];
    // The same limits as in the files (e.g. sync.parallel at most 64).
    validateLayer(envLayerSchema, { [section]: { [field]: value } }, `${label} ${name}`);
    const obj = (layer[section] ??= {}) as Record<string, unknown>;
    obj[field] = value;
  }
  return layer;
}

/** Parse a dotenv file; undefined when it does not exist. */
export function readDotenv(path: string): Record<string, string> | undefined {
  const data = readBoundedFile(path);
  return data === undefined ? undefined : parseDotenv(data);
}

export interface EnvLayer {
  name: string;
  data: Record<string, unknown>;
}

/** The environment layers in increasing priority. */
export function loadEnvLayers(projectRoot: string, processEnv: NodeJS.ProcessEnv): EnvLayer[] {
  const layers: EnvLayer[] = [];
  const dotenv = readDotenv(join(projectRoot, '.env'));
  if (dotenv) layers.push({ name: '.env', data: envToLayer(dotenv, '.env') });
  const envName = processEnv.ARX_ENV ?? dotenv?.ARX_ENV;
  if (envName !== undefined && envName !== '') {
    if (!/^[A-Za-z0-9._-]+$/.test(envName)) {
      throw new ConfigError(`ARX_ENV: expected a name such as "staging", got ${JSON.stringify(envName)}`);
    }
    const file = `.env.${envName}`;
    const named = readDotenv(join(projectRoot, file));
    if (named) layers.push({ name: file, data: envToLayer(named, file) });
  }
  layers.push({ name: 'environment', data: envToLayer(processEnv, 'environment variable') });
  return layers;
}
