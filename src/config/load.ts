/**
 * Load the effective configuration: defaults < global file < arxfile.json <
 * .env < .env.<ARX_ENV> < process environment. Every layer is validated on
 * its own, so an error names the file (or variable) it came from.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';
import { noteSecret, noteWebhook } from '../util/redact.js';
import { loadEnvLayers } from './env.js';
import { readJsonFile } from './json-file.js';
import { mergeLayers, type Layer, type Sources } from './merge.js';
import {
  globalConfigSchema,
  hasControlCharacter,
  parseSize,
  projectConfigSchema,
  type CommandSpec,
  type ConflictPolicy,

  type RemoteType,
} from './schema.js';
import { validateLayer } from './validate.js';
import type { Policy } from '../core/conflict.js';
import { envVarFor, localOnlyReason, SAFETY_KEYS, splitProjectLayer, whereToSet, type IgnoredSetting } from './key-policy.js';

export const PROJECT_FILE = 'arxfile.json';

export interface RemoteConfig {
  type: RemoteType;
  path?: string;
  host?: string;
  port?: number;
  username?: string;
  key_file?: string;
  password?: string;
  key_passphrase?: string;
  known_hosts?: string;
  host_key_policy?: 'strict' | 'accept-new';
  retries?: number;
  retry_base_ms?: number;
  /** Seconds (see remote/lock.ts); undefined: the default. */
  lock_lease?: number;
}

export interface SyncConfig {
  enabled: boolean;
  interval: number;
  conflict_resolution: ConflictPolicy;
  auto_backup: boolean;
  remote_path: string;
  include_patterns: string[];
  exclude_patterns: string[];
  parallel: number;
  /** Bytes; undefined means no limit. */
  max_file_size?: number;
  max_delete_percent: number;
  /** Ordered per-path conflict policies (first match wins). */
  conflict_rules: { pattern: string; policy: Policy }[];
  backup_retention_days: number;
  /** Seconds a sync waits for the remote lock. */
  lock_wait: number;
}

export interface NotificationsConfig {
  email?: string;
  webhook?: string;
  channels?: Record<string, { webhook?: string; email?: string }>;
  timeout?: number;
  smtp?: { host: string; port?: number; secure?: boolean; from?: string; username?: string };
  email_on?: ('success' | 'failure' | 'conflict' | 'cancelled')[];
}

export interface EffectiveConfig {
  projectRoot: string;
  projectFile: string;
  globalFile: string;
  project: {
    project_id: string;
    name?: string;
    description?: string;
    version?: string;
    permissions?: { owner?: string; editors?: string[]; viewers?: string[] };
    metadata?: Record<string, unknown>;
  };
  commands: { pre_sync: CommandSpec[]; post_sync: CommandSpec[] };
  sync: SyncConfig;
  remote: RemoteConfig;
  notifications: NotificationsConfig;
  /** The merged configuration as plain data (for `config show`). */
  raw: Record<string, unknown>;
  /** Which layer set each dotted key. */
  sources: Sources;
  /** Project settings that were not applied (local-only, or looser than this machine's). */
  ignored: IgnoredSetting[];
  warnings: string[];
}

export interface LoadOptions {
  /** --project DIR, or the working folder to search upwards from. */
  projectDir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Default home of the embedded local remote. */
export function defaultRemoteRoot(env: NodeJS.ProcessEnv): string {
  const dataHome = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homeOf(env), '.local', 'share');
  return join(dataHome, 'arx', 'remote');
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeOf(env);
  if (p.startsWith('~/')) return join(homeOf(env), p.slice(2));
  return p;
}

/** The folder holding arxfile.json: `--project DIR`, or the nearest parent of cwd. */
export function findProjectRoot(opts: LoadOptions): string {
  if (opts.projectDir !== undefined) {
    const dir = resolve(opts.cwd ?? process.cwd(), opts.projectDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError(`--project ${opts.projectDir}: no such folder`, 'NO_PROJECT');
    }
    if (!existsSync(join(dir, PROJECT_FILE))) {
      throw new ConfigError(`${dir}: no ${PROJECT_FILE} here; run \`arx init\` in that folder first`, 'NO_PROJECT');
    }
    return dir;
  }
  const start = resolve(opts.cwd ?? process.cwd());
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError(
    `no ${PROJECT_FILE} in ${start} or any parent folder; run \`arx init\` to create a project, or pass --project DIR`,
    'NO_PROJECT',
  );
}

const FILE_SECRETS = [['password', 'ARX_REMOTE_PASSWORD'], ['key_passphrase', 'ARX_REMOTE_KEY_PASSPHRASE']] as const;

/** A password or passphrase in the global file is refused: secrets live in .env or the environment. */
function rejectFileSecrets(data: unknown, label: string): void {
  const remote = (data as { remote?: unknown } | undefined)?.remote;
  if (remote && typeof remote === 'object') {
    for (const [key, env] of FILE_SECRETS) {
      if (key in remote) {
        throw new ConfigError(
          `${label}: remote.${key}: secrets are not read from JSON files; remove it and set ${env} in .env or the environment`,
          'CONFIG_SECRET_IN_FILE',
        );
      }
    }
  }
}

/**
 * A secret in arxfile.json is dropped with a warning, never an error: the file
 * travels, and a copy that arrived with one must not stop every replica.
 */
function dropProjectSecrets(data: unknown, warnings: string[]): unknown {
  const remote = (data as { remote?: unknown } | undefined)?.remote;
  if (!remote || typeof remote !== 'object' || Array.isArray(remote)) return data;
  const found = FILE_SECRETS.filter(([key]) => key in remote);
  if (found.length === 0) return data;
  const copy = structuredClone(data) as { remote: Record<string, unknown> };
  for (const [key, env] of found) {
    delete copy.remote[key];
    warnings.push(`${PROJECT_FILE}: remote.${key} is ignored: secrets are never read from a project file (it travels with the project, so treat that secret as seen by others); remove it and set ${env} in .env or the environment`);
  }
  return copy;
}

function defaultsLayer(projectId: string, env: NodeJS.ProcessEnv): Layer {
  return {
    name: 'default',
    data: {
      sync: {
        enabled: true,
        interval: 300,
        conflict_resolution: 'manual',
        auto_backup: true,
        remote_path: `/projects/${projectId}`,
        include_patterns: [],
        exclude_patterns: [],
        parallel: 4,
        max_delete_percent: 50,
        conflict_rules: [],
        backup_retention_days: 30,
        lock_wait: 30,
      },
      remote: { type: 'local', path: defaultRemoteRoot(env) },
    },
  };
}

/** This machine's configuration file: ARX_CONFIG, else ~/.arxconfig.json. */
export function globalFilePath(env: NodeJS.ProcessEnv, cwd?: string): string {
  if (env.ARX_CONFIG !== undefined && hasControlCharacter(env.ARX_CONFIG)) {
    throw new ConfigError(`ARX_CONFIG: must not contain control characters (such as a tab or a line break), got ${JSON.stringify(env.ARX_CONFIG)}`, 'CONFIG_INVALID');
  }
  return env.ARX_CONFIG ? resolve(cwd ?? process.cwd(), expandHome(env.ARX_CONFIG, env)) : join(homeOf(env), '.arxconfig.json');
}

/** The global file, validated; `value` undefined when there is none (an error when ARX_CONFIG names a missing one). */
export function readGlobalConfig(env: NodeJS.ProcessEnv, cwd?: string): { file: string; value: Record<string, unknown> | undefined; warnings: string[] } {
  const file = globalFilePath(env, cwd);
  const raw = readJsonFile(file);
  if (raw === undefined) {
    if (env.ARX_CONFIG) throw new ConfigError(`ARX_CONFIG names ${file}, which does not exist`, 'CONFIG_MISSING');
    return { file, value: undefined, warnings: [] };
  }
  rejectFileSecrets(raw, file);
  const g = validateLayer(globalConfigSchema, raw, file);
  return { file, value: g.value as Record<string, unknown>, warnings: g.warnings };
}

export function loadConfig(opts: LoadOptions = {}): EffectiveConfig {
  const env = opts.env ?? process.env;
  const projectRoot = findProjectRoot(opts);
  const projectFile = join(projectRoot, PROJECT_FILE);
  const warnings: string[] = [];

  const globalFile = globalFilePath(env, opts.cwd);
  if (travelsWith(projectRoot, globalFile)) {
    throw new ConfigError(
      `ARX_CONFIG names ${globalFile}, inside the project folder: that file would travel with the project, so it cannot hold this machine's settings; move it outside the project (or into its .arx/ folder)`,
      'CONFIG_IN_PROJECT',
    );
  }
  // This machine's own layers (the global file; the environment follows the project layer).
  const layers: Layer[] = [];
  const g = readGlobalConfig(env, opts.cwd);
  if (g.value !== undefined) {
    warnings.push(...g.warnings);
    layers.push({ name: `global (${globalFile})`, data: g.value });
  }

  const projectRaw = dropProjectSecrets(readJsonFile(projectFile), warnings);
  const p = validateLayer(projectConfigSchema, projectRaw, projectFile);
  warnings.push(...p.warnings);
  const projectLayer = `project (${PROJECT_FILE})`;
  const envLayers = loadEnvLayers(projectRoot, env);
  const defaults = defaultsLayer(p.value.project_id, env);
  const { travels, localOnly } = splitProjectLayer(p.value as Record<string, unknown>);
  const ignored: IgnoredSetting[] = localOnly.map(([key, v]) => ({ key, value: v, source: projectLayer, reason: `${localOnlyReason(key)}; ${whereToSet(key, globalFile)}` }));
  const safety = takeSafetyKeys(travels);
  const { value, sources } = mergeLayers([defaults, ...layers, { name: projectLayer, data: travels }, ...envLayers]);
  // Safety keys: the project's value only where it is stricter than what this machine says.
  const local = mergeLayers([defaults, ...layers, ...envLayers]);
  for (const spec of SAFETY_KEYS) {
    const wanted = safety.get(spec.key);
    if (wanted === undefined) continue;
    const mine = getKey(local.value, spec.key);
    if (!spec.atLeastAsStrict(mine, wanted)) {
      const from = local.sources.get(spec.key) ?? 'default';
      ignored.push({ key: spec.key, value: wanted, source: projectLayer, reason: `${JSON.stringify(wanted)} is looser than this machine's ${JSON.stringify(mine)} (${from}): ${spec.direction}; to change it here, ${whereToSet(spec.key, globalFile)}` });
    } else if (wanted !== mine) {
      setKey(value, spec.key, wanted);
      sources.set(spec.key, projectLayer);
    }
  }
  warnings.push(...ignoredWarnings(ignored, globalFile));
  const sync = value.sync as Record<string, unknown>;
  const remote = value.remote as Record<string, unknown> as unknown as RemoteConfig;
  const maxSize = sync.max_file_size;
  const cfg: EffectiveConfig = {
    projectRoot,
    projectFile,
    globalFile,
    project: {
      project_id: p.value.project_id,
      name: p.value.name,
      description: p.value.description,
      version: p.value.version,
      permissions: p.value.permissions,
      metadata: p.value.metadata,
    },
    commands: {
      pre_sync: p.value.commands?.pre_sync ?? [],
      post_sync: p.value.commands?.post_sync ?? [],
    },
    sync: {
      ...(sync as unknown as SyncConfig),
      max_file_size: typeof maxSize === 'string' ? parseSize(maxSize) : (maxSize as number | undefined),
    },
    remote,
    notifications: (value.notifications as EffectiveConfig['notifications']) ?? {},
    raw: value,
    sources,
    ignored,
    warnings,
  };
  noteSecrets(cfg);
  checkRemote(cfg, env);
  return cfg;
}

/** Remove the safety keys from a project layer's `sync`, returning them by dotted key. */
function takeSafetyKeys(travels: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const sync = travels.sync as Record<string, unknown> | undefined;
  if (sync === undefined) return out;
  const rest = { ...sync };
  for (const { key } of SAFETY_KEYS) {
    const field = key.slice('sync.'.length);
    if (rest[field] !== undefined) out.set(key, rest[field]);
    delete rest[field];
  }
  travels.sync = rest;
  return out;
}

function getKey(root: Record<string, unknown>, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, k) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined), root);
}

function setKey(root: Record<string, unknown>, dotted: string, v: unknown): void {
  const parts = dotted.split('.');
  let node = root;
  for (const k of parts.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = v;
}

/** One warning per section of local-only keys, one per looser safety value. */
function ignoredWarnings(ignored: readonly IgnoredSetting[], globalFile: string): string[] {
  const bySection = new Map<string, string[]>();
  const out: string[] = [];
  for (const i of ignored) {
    if (SAFETY_KEYS.some((s) => s.key === i.key)) out.push(`${PROJECT_FILE}: ${i.key} is ignored: ${i.reason}`);
    else {
      const section = i.key.split('.')[0]!;
      bySection.set(section, [...(bySection.get(section) ?? []), i.key]);
    }
  }
  const sections = [...bySection].map(([section, keys]) => {
    const vars = keys.map(envVarFor).filter((v) => v !== undefined);
    const where = `set ${keys.length === 1 ? 'it' : 'them'} in ${globalFile}${vars.length === 0 ? '' : ` (or with ${vars.join(', ')} in .env or the environment)`}`;
    return `${PROJECT_FILE}: ${keys.join(', ')} ${keys.length === 1 ? 'is' : 'are'} ignored: ${localOnlyReason(section)}; ${where}`;
  });
  return [...sections, ...out];
}

/** Every secret value of this configuration is masked wherever arx prints or stores text (see util/redact). */
function noteSecrets(cfg: EffectiveConfig): void {
  noteSecret(cfg.remote.password);
  noteSecret(cfg.remote.key_passphrase);
  const n = cfg.notifications;
  noteWebhook(n.webhook);
  for (const channel of Object.values(n.channels ?? {})) noteWebhook(channel.webhook);
}

/** Cross-field checks on the merged remote settings. */
function checkRemote(cfg: EffectiveConfig, env: NodeJS.ProcessEnv): void {
  const r = cfg.remote;
  const where = (key: string) => `remote.${key} (set in ${cfg.sources.get(`remote.${key}`) ?? 'nowhere'})`;
  remoteSubpath(cfg.sync.remote_path, cfg.sources.get('sync.remote_path') ?? 'default');
  if (r.type === 'local') {
    if (!r.path) throw new ConfigError('remote.path: a local remote needs a folder path', 'CONFIG_INVALID');
    r.path = resolve(cfg.projectRoot, expandHome(r.path, env));
    // Compared with symbolic links resolved, as far as the folders exist.
    const folder = realpathOfExisting(remoteFolder(cfg));
    const root = realpathOfExisting(cfg.projectRoot);
    const rel = relative(root, folder);
    const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    const relBack = relative(folder, root);
    const contains = !relBack.startsWith('..') && !isAbsolute(relBack);
    if (inside || contains) {
      throw new ConfigError(
        `${where('path')}: the remote folder ${folder} overlaps the project folder ${cfg.projectRoot}; choose a folder outside the project`,
        'CONFIG_REMOTE_OVERLAP',
      );
    }
  } else if (r.type === 'sftp') {
    if (!r.host) throw new ConfigError('remote.host: an sftp remote needs a host (set remote.host or ARX_REMOTE_HOST)', 'CONFIG_INVALID');
  }
}

/** A file inside the project folder (but not in .arx/, which never travels) is synced. */
function travelsWith(projectRoot: string, file: string): boolean {
  const rel = relative(realpathOfExisting(projectRoot), realpathOfExisting(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '.arx';
}

/** The real path of `p`: its longest existing ancestor resolved, the rest appended. */
function realpathOfExisting(p: string): string {
  const rest: string[] = [];
  for (let cur = p; ; cur = dirname(cur)) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      if (dirname(cur) === cur) return p;
      rest.push(basename(cur));
    }
  }
}

/** `sync.remote_path` as a clean relative path (no `..`). */
export function remoteSubpath(remotePath: string, source: string): string {
  const parts = remotePath.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) {
    throw new ConfigError(`sync.remote_path (set in ${source}): "${remotePath}" must not contain ".."`, 'CONFIG_INVALID');
  }
  return parts.join(posix.sep);
}

/** The local remote's folder: remote.path joined with sync.remote_path. */
export function remoteFolder(cfg: EffectiveConfig): string {
  const sub = remoteSubpath(cfg.sync.remote_path, cfg.sources.get('sync.remote_path') ?? 'default');
  return join(cfg.remote.path ?? '/', ...sub.split('/').filter(Boolean)).split('/').join(sep);
}
