/**
 * Everything a command that changes the project needs while it runs: the
 * project lock, the state store, both sides and this project's writer tag.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EffectiveConfig } from '../config/load.js';
import { LocalFolderRemote } from '../remote/local/local-remote.js';
import { openRemote, type RemoteHooks } from '../remote/factory.js';
import type { Remote } from '../remote/types.js';
import { STATE_DIR } from '../scan/filter.js';
import { ProjectLock } from '../state/lock.js';
import { StateStore } from '../state/store.js';

/** A LocalSession (see below) with the configured remote. */
export interface Session extends LocalSession {
  cfg: EffectiveConfig;
  remote: Remote;
  remoteId: string;
}

export function stateDirOf(projectRoot: string): string {
  return join(projectRoot, STATE_DIR);
}

/** The store alone, read-only, for commands that only look (status, history, conflicts): see StateStore.openReadOnly. */
export function openStore(project: { projectRoot: string }): StateStore {
  return StateStore.openReadOnly(stateDirOf(project.projectRoot));
}

/** A session of the project folder alone (no remote, no configuration needed): for `arx restore`. */
export interface LocalSession {
  stateDir: string;
  store: StateStore;
  local: LocalFolderRemote;
  /** Tag in this project's temporary file names. */
  writer: string;
  close(): Promise<void>;
}

/** The project lock, the state store (with a killed sync's journal applied) and the project side. */
export function openLocalSession(projectRoot: string, command: string, now: Date): LocalSession {
  const stateDir = stateDirOf(projectRoot);
  const lock = ProjectLock.acquire(stateDir, command, now);
  let store: StateStore | undefined;
  try {
    store = StateStore.open(stateDir);
    // What a killed sync finished but had not yet put in the database.
    store.recoverJournal();
    const writer = writerTag(store);
    const local = new LocalFolderRemote(projectRoot, { writer, hiddenTopLevel: new Set([STATE_DIR]), identity: true, side: 'local' });
    const opened = store;
    return {
      stateDir,
      store: opened,
      local,
      writer,
      async close() {
        await local.close(); // its held folder descriptors
        opened.close();
        lock.release();
      },
    };
  } catch (err) {
    store?.close();
    lock.release();
    throw err;
  }
}

function writerTag(store: StateStore): string {
  let tag = store.getMeta('writer');
  if (tag === undefined) {
    tag = BigInt('0x' + randomBytes(6).toString('hex')).toString(36);
    store.setMeta('writer', tag);
  }
  return tag;
}

/** `connect`: see openRemote. */
export async function openSession(cfg: EffectiveConfig, command: string, now: Date, hooks: RemoteHooks = {}, connect: 'now' | 'background' = 'now'): Promise<Session> {
  const base = openLocalSession(cfg.projectRoot, command, now);
  try {
    const { remote, id } = await openRemote(cfg, base.writer, hooks, connect);
    return {
      ...base,
      cfg,
      remote,
      remoteId: id,
      async close() {
        await remote.close().catch(() => undefined);
        await base.close();
      },
    };
  } catch (err) {
    await base.close();
    throw err;
  }
}
