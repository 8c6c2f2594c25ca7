/**
 * The agent's settings: the `agent` section of this machine's configuration
 * file (never a project file: it travels). Paths in `projects` are resolved
 * against the home folder (`~/`) or taken as absolute.
 */
import { isAbsolute, resolve } from 'node:path';
import { expandHome, readGlobalConfig } from '../config/load.js';
import { LISTEN, type AgentSettingsInput } from '../config/schema.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_LISTEN = '127.0.0.1:7461';
export const DEFAULT_DEBOUNCE_MS = 500;
export const DEFAULT_SYNC_TIMEOUT_S = 3600;
/** Syncs at once: about the cores of a small machine. */
export const DEFAULT_CONCURRENT_SYNCS = 2;

export interface AgentSettings {
  file: string;
  host: string;
  port: number;
  projects: string[];
  watch: boolean;
  debounceMs: number;
  syncTimeoutMs: number;
  maxConcurrentSyncs: number;
  tls?: { cert: string; key: string };
  allowedHosts: string[];
  warnings: string[];
}

/** `host:port` split; an IPv6 host loses its brackets. */
export function splitListen(listen: string): { host: string; port: number } {
  const m = LISTEN.exec(listen);
  if (!m) throw new ConfigError(`agent.listen: expected host:port, e.g. "${DEFAULT_LISTEN}", got ${JSON.stringify(listen)}`, 'CONFIG_INVALID');
  const host = listen.slice(0, listen.length - m[1]!.length - 1).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(m[1]) };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadAgentSettings(env: NodeJS.ProcessEnv, cwd?: string): AgentSettings {
  const g = readGlobalConfig(env, cwd);
  const a = ((g.value?.agent ?? {}) as AgentSettingsInput);
  const { host, port } = splitListen(a.listen ?? DEFAULT_LISTEN);
  const absolute = (p: string, key: string): string => {
    const expanded = expandHome(p, env);
    if (!isAbsolute(expanded)) throw new ConfigError(`${g.file}: ${key}: expected an absolute path (or one starting with ~/), got ${JSON.stringify(p)}`, 'CONFIG_INVALID');
    return resolve(expanded);
  };
  return {
    file: g.file,
    host,
    port,
    projects: (a.projects ?? []).map((p, i) => absolute(p, `agent.projects[${i}]`)),
    watch: a.watch ?? true,
    debounceMs: a.debounce_ms ?? DEFAULT_DEBOUNCE_MS,
    syncTimeoutMs: (a.sync_timeout ?? DEFAULT_SYNC_TIMEOUT_S) * 1000,
    maxConcurrentSyncs: a.max_concurrent_syncs ?? DEFAULT_CONCURRENT_SYNCS,
    ...(a.tls ? { tls: { cert: absolute(a.tls.cert, 'agent.tls.cert'), key: absolute(a.tls.key, 'agent.tls.key') } } : {}),
    allowedHosts: a.allowed_hosts ?? [],
    warnings: g.warnings,
  };
}
