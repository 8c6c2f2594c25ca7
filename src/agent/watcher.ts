/**
 * A recursive watch of a project folder that reports "something to sync":
 * what the sync would leave out (`.arx/`, arx's temporaries, `.arxignore` and
 * the configured patterns) never fires, and a burst of changes becomes one
 * call, `debounceMs` after the last change (or `maxWaitMs` after the first,
 * so a folder that never stops changing still syncs).
 *
 * @parcel/watcher (native, inotify on Linux) keeps its tree outside the
 * JavaScript heap: an agent watching 100,000 files stays small.
 */
import { subscribe, type AsyncSubscription, type Event } from '@parcel/watcher';
import { lstatSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PROJECT_FILE } from '../config/load.js';
import { isTempName } from '../remote/types.js';
import type { PathFilter } from '../scan/filter.js';
import { IGNORE_FILE, STATE_DIR } from '../scan/filter.js';

export interface ProjectWatch {
  close(): Promise<void>;
}

export interface WatchOptions {
  debounceMs: number;
  maxWaitMs?: number;
  /** The project's current filter; undefined while its settings do not load (then everything but .arx counts). */
  filter(): PathFilter | undefined;
  /** The filter's sources changed (.arxignore, arxfile.json): the caller rebuilds it. */
  onFilterChanged(): void;
  onChange(): void;
  onError?(message: string): void;
}

/** True when a sync would leave this project path out (`rel` with "/", not empty). */
export function leftOut(rel: string, kind: 'file' | 'dir' | 'gone', filter: PathFilter | undefined): boolean {
  if (rel === STATE_DIR || rel.startsWith(`${STATE_DIR}/`)) return true;
  if (isTempName(rel.slice(rel.lastIndexOf('/') + 1))) return true;
  if (!filter) return false;
  // The scan never enters a folder left out: nothing below it counts.
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) if (filter.excludeDir(rel.slice(0, i))) return true;
  if (kind === 'dir') return filter.excludeDir(rel);
  if (kind === 'file') return filter.excludeFile(rel);
  // Gone: its kind is unknown; it counts unless both rules leave it out.
  return filter.excludeFile(rel) && filter.excludeDir(rel);
}

function kindOf(path: string, type: Event['type']): 'file' | 'dir' | 'gone' {
  if (type === 'delete') return 'gone';
  try {
    return lstatSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'gone';
  }
}

export function watchProject(root: string, opts: WatchOptions): ProjectWatch {
  const maxWait = opts.maxWaitMs ?? Math.max(opts.debounceMs * 10, 5_000);
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let closed = false;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    firstAt = 0;
    if (!closed) opts.onChange();
  };
  const changed = (): void => {
    const now = Date.now();
    if (firstAt === 0) firstAt = now;
    if (timer) clearTimeout(timer);
    if (now - firstAt >= maxWait) return fire();
    timer = setTimeout(fire, opts.debounceMs);
  };
  const onEvents = (err: Error | null, events: Event[]): void => {
    if (closed) return;
    if (err) {
      opts.onError?.(`watching ${root}: ${err.message}`);
      return;
    }
    let counts = false;
    for (const e of events) {
      const rel = relative(root, e.path).split(sep).join('/');
      if (rel === '' || rel.startsWith('..')) continue;
      if (rel === IGNORE_FILE || rel === PROJECT_FILE) opts.onFilterChanged();
      if (!counts && !leftOut(rel, kindOf(e.path, e.type), opts.filter())) counts = true;
    }
    if (counts) changed();
  };
  const subscription: Promise<AsyncSubscription | undefined> = subscribe(root, onEvents, { ignore: [join(root, STATE_DIR)] }).catch((err: unknown) => {
    opts.onError?.(`cannot watch ${root}: ${err instanceof Error ? err.message : String(err)}; it syncs on its interval only`);
    return undefined;
  });
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await (await subscription)?.unsubscribe();
    },
  };
}
