/** Build the configured remote. */
import { remoteFolder, type EffectiveConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { LocalFolderRemote } from './local/local-remote.js';
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
      return `sftp:${r.username ?? ''}@${r.host}:${r.port ?? 22}:${r.path ?? ''}:${cfg.sync.remote_path}`;
  }
}

export async function openRemote(cfg: EffectiveConfig, writer: string): Promise<RemoteHandle> {
  switch (cfg.remote.type) {
    case 'local':
      return { remote: new LocalFolderRemote(remoteFolder(cfg), { writer }), id: remoteIdOf(cfg) };
    case 'sftp':
      throw new ConfigError('remote.type "sftp" is not supported by this version of arx yet; use a "local" remote', 'REMOTE_UNSUPPORTED');
  }
}
