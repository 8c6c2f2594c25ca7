/** Build the configured remote. */
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { expandHome, remoteFolder, remoteSubpath, type EffectiveConfig } from '../config/load.js';
import { LocalFolderRemote } from './local/local-remote.js';
import { RetryingRemote } from './retry.js';
import type { SshOptions } from './sftp/connect.js';
import { SftpRemote } from './sftp/sftp-remote.js';
import type { Remote } from './types.js';

export interface RemoteHandle {
  remote: Remote;
  /** Identifies this remote in the base: a different remote means a fresh base. */
  id: string;
}

/** Identity of the configured remote, without connecting to it. */
export function remoteIdOf(cfg: EffectiveConfig): string {
  const r = cfg.remote;
  switch (r.type) {
    case 'local':
      return `local:${remoteFolder(cfg)}`;
    case 'sftp':
      return `sftp:${r.username ?? ''}@${r.host}:${r.port ?? 22}:${sftpFolder(cfg)}`;
  }
}

export interface RemoteHooks {
  /** A one-line notice for the user (e.g. a network retry). */
  onNote?: (message: string) => void;
  /** A warning about the setup (e.g. a known_hosts line that was ignored); may repeat on reconnects. */
  onWarning?: (message: string) => void;
}

/** The folder on an SFTP server: remote.path joined with sync.remote_path (relative: from the login folder). */
export function sftpFolder(cfg: EffectiveConfig): string {
  const base = (cfg.remote.path ?? '').replace(/^~\/?/, '');
  const joined = posix.join(base === '' ? '' : base, cfg.sync.remote_path);
  remoteSubpath(joined, 'remote.path and sync.remote_path');
  return joined.startsWith('/') ? joined.replace(/\/+$/, '') || '/' : joined.replace(/^\.\/?/, '').replace(/\/+$/, '');
}

export function sshOptions(cfg: EffectiveConfig, env: NodeJS.ProcessEnv = process.env): SshOptions {
  const r = cfg.remote;
  const keyFile = r.key_file ? expandHome(r.key_file, env) : undefined;
  return {
    host: r.host!,
    port: r.port ?? 22,
    username: r.username ?? env.USER ?? env.LOGNAME ?? userInfo().username,
    keyFile,
    passphrase: r.key_passphrase,
    password: r.password,
    agent: keyFile === undefined && env.SSH_AUTH_SOCK ? env.SSH_AUTH_SOCK : undefined,
    knownHosts: [r.known_hosts ? expandHome(r.known_hosts, env) : join(env.HOME ?? homedir(), '.ssh', 'known_hosts')],
    hostKeyPolicy: r.host_key_policy ?? 'strict',
    channels: Math.min(cfg.sync.parallel, 8),
    readyTimeoutMs: 20_000,
  };
}

/**
 * `connect`: 'now' reports a wrong host, key or password before anything else
 * happens; 'background' connects while the caller goes on (a sync loads its
 * state meanwhile), and the first remote operation reports a failure.
 */
export async function openRemote(cfg: EffectiveConfig, writer: string, hooks: RemoteHooks = {}, connect: 'now' | 'background' = 'now'): Promise<RemoteHandle> {
  switch (cfg.remote.type) {
    case 'local':
      return { remote: new LocalFolderRemote(remoteFolder(cfg), { writer }), id: remoteIdOf(cfg) };
    case 'sftp': {
      const sftp = new SftpRemote({ ...sshOptions(cfg), onWarning: hooks.onWarning }, sftpFolder(cfg), writer);
      const remote = new RetryingRemote(sftp, { retries: cfg.remote.retries ?? 5, baseMs: cfg.remote.retry_base_ms ?? 500 }, hooks.onNote);
      if (connect === 'background') remote.prepare?.();
      else await remote.rootExists();
      return { remote, id: remoteIdOf(cfg) };
    }
  }
}
