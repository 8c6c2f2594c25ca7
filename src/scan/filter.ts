/**
 * Which paths are synced: `.arxignore`, `sync.exclude_patterns` and
 * `sync.include_patterns`, all with gitignore semantics, plus names that are
 * never synced (arx's own state, secrets in .env files, temporaries).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ConfigError, errnoCode } from '../errors.js';
import type { ListFilter } from '../remote/types.js';

export const IGNORE_FILE = '.arxignore';
export const STATE_DIR = '.arx';

/** Never synced, whatever the patterns say: state, and .env files (they hold secrets). */
export const ALWAYS_EXCLUDED = [`/${STATE_DIR}/`, '/.env', '/.env.*'];

export interface FilterSettings {
  arxignore: string[];
  include: string[];
  exclude: string[];
  maxFileSize?: number;
}

export interface PathFilter extends ListFilter {
  /** With include patterns, folders are synced only if they match or hold a synced file. */
  pruneFolders<T extends { kind: string }>(entries: Map<string, T>): void;
}

/** Lines of the project's .arxignore (none if it does not exist). */
export function readArxignore(projectRoot: string): string[] {
  try {
    return readFileSync(join(projectRoot, IGNORE_FILE), 'utf8').split(/\r?\n/);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw new ConfigError(`${join(projectRoot, IGNORE_FILE)}: cannot be read (${errnoCode(err) ?? String(err)})`, 'CONFIG_UNREADABLE');
  }
}

function compile(patterns: string[], label: string): Ignore {
  try {
    return ignore({ allowRelativePaths: true }).add(patterns);
  } catch (err) {
    throw new ConfigError(`${label}: invalid pattern (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function buildFilter(settings: FilterSettings): PathFilter {
  const excluded = compile([...ALWAYS_EXCLUDED, ...settings.arxignore, ...settings.exclude], 'sync.exclude_patterns');
  const included = settings.include.length > 0 ? compile(settings.include, 'sync.include_patterns') : undefined;

  // Both sides ask about (mostly) the same paths: remember each answer.
  const dirCache = new Map<string, boolean>();
  const fileCache = new Map<string, boolean>();
  const filter: PathFilter = {
    maxFileSize: settings.maxFileSize,
    excludeDir(path) {
      let v = dirCache.get(path);
      if (v === undefined) dirCache.set(path, (v = excluded.ignores(`${path}/`)));
      return v;
    },
    excludeFile(path) {
      let v = fileCache.get(path);
      if (v === undefined) fileCache.set(path, (v = excluded.ignores(path) || (included !== undefined && !included.ignores(path))));
      return v;
    },
    pruneFolders(entries) {
      if (included === undefined) return;
      const keep = new Set<string>();
      for (const [path, e] of entries) {
        if (e.kind === 'dir' && !included.ignores(`${path}/`)) continue;
        // A synced file or a matching folder keeps every folder above it.
        for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
          const parent = path.slice(0, i);
          if (keep.has(parent)) break;
          keep.add(parent);
        }
        if (e.kind === 'dir') keep.add(path);
      }
      for (const [path, e] of entries) if (e.kind === 'dir' && !keep.has(path)) entries.delete(path);
    },
  };
  return filter;
}
