/**
 * A recursive watch of a project folder that reports "something to sync":
 * what the sync would leave out (`.arx/`, arx's temporaries, `.arxignore` and
 * the configured patterns) never fires, and a burst of changes becomes one
 * call, `debounceMs` after the last change (or `maxWaitMs` after the first,
 * so a folder that never stops changing still syncs).
 */
import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import type { PathFilter } from '../scan/filter.js';
import { IGNORE_FILE } from '../scan/filter.js';
import { isTempName } from '../remote/types.js';
import { PROJECT_FILE } from '../config/load.js';

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

export function watchProject(root: string, opts: WatchOptions): ProjectWatch {
  const maxWait = opts.maxWaitMs ?? Math.max(opts.debounceMs * 10, 5_000);
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    firstAt = 0;
    opts.onChange();
  };
  const changed = (path: string): void => {
    const rel = relative(root, path).split(sep).join('/');
    if (rel === IGNORE_FILE || rel === PROJECT_FILE) opts.onFilterChanged();
    const now = Date.now();
    if (firstAt === 0) firstAt = now;
    if (timer) clearTimeout(timer);
    if (now - firstAt >= maxWait) return fire();
    timer = setTimeout(fire, opts.debounceMs);
  };
  const ignored = (path: string, stats?: Stats): boolean => {
    const rel = relative(root, path).split(sep).join('/');
    if (rel === '' || rel.startsWith('..')) return false;
    if (isTempName(rel.slice(rel.lastIndexOf('/') + 1))) return true;
    if (rel === '.arx' || rel.startsWith('.arx/')) return true;
    const f = opts.filter();
    if (!f) return false;
    // Without stats (chokidar asks first by name) only a folder rule may leave it out; files are decided with them.
    if (stats === undefined) return f.excludeDir(rel);
    return stats.isDirectory() ? f.excludeDir(rel) : f.excludeFile(rel);
  };
  const watcher: FSWatcher = watch(root, { ignoreInitial: true, ignored, followSymlinks: false, persistent: false });
  for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, changed);
  watcher.on('error', (err) => opts.onError?.(`watching ${root}: ${err instanceof Error ? err.message : String(err)}`));
  return {
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await watcher.close();
    },
  };
}
