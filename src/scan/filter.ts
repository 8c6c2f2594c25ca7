/**
 * Which paths are synced: `.arxignore`, `sync.exclude_patterns` and
 * `sync.include_patterns`, all with gitignore semantics, plus names that are
 * never synced (arx's own state, secrets in .env files, temporaries).
 */
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ConfigError } from '../errors.js';
import type { ListFilter, NameRule } from '../remote/types.js';
import { allNameOnly, NameMatcher } from './name-matcher.js';
import { patternListProblem, usableIgnoreLines } from './patterns.js';
import { readBoundedText } from '../util/bounded-file.js';

export const IGNORE_FILE = '.arxignore';
export const STATE_DIR = '.arx';
/** The most `.arxignore` may hold (10,000 patterns of 4,096 characters fit). */
export const IGNORE_FILE_LIMIT = 64 * 1024 * 1024;
/** The remote lock's folder in the remote folder (see remote/lock.ts). */
export const REMOTE_LOCK_DIR = '.arx-lock';

/** Never synced, whatever the patterns say: state, the remote lock, and .env files (they hold secrets). Top level only. */
export function alwaysExcluded(path: string): boolean {
  if (path.includes('/')) return false;
  return path === STATE_DIR || path === REMOTE_LOCK_DIR || path === '.env' || path.startsWith('.env.');
}

export interface FilterSettings {
  arxignore: string[];
  include: string[];
  exclude: string[];
  maxFileSize?: number;
  /** Where each list came from, for messages (e.g. the .arxignore file, "set in project (arxfile.json)"). */
  sources?: { arxignore?: string; include?: string; exclude?: string };
}

export interface PathFilter extends ListFilter {
  /** The patterns it was built from, bad `.arxignore` lines left out (a worker rebuilds it from these without warnings). */
  settings: FilterSettings;
  /** One per `.arxignore` line that was left out (a bad pattern, or past the limit). */
  warnings: string[];
  /** With include patterns, folders are synced only if they match or hold a synced file: the folders to leave out. */
  unsyncedFolders(entries: Iterable<[string, { kind: string }]>): Set<string>;
}

/** Lines of the project's .arxignore (none if it does not exist). */
export function readArxignore(projectRoot: string): string[] {
  return readBoundedText(join(projectRoot, IGNORE_FILE), { limit: IGNORE_FILE_LIMIT })?.split(/\r?\n/) ?? [];
}

function compile(patterns: string[], label: string): Ignore {
  try {
    return ignore({ allowRelativePaths: true, ignorecase: false }).add(patterns);
  } catch (err) {
    throw new ConfigError(`${label}: invalid pattern (${err instanceof Error ? err.message : String(err)})`, 'CONFIG_PATTERN');
  }
}

/** A list from the configuration with a bad pattern is a configuration error naming it. */
function checkList(key: string, patterns: string[], source: string | undefined): void {
  const problem = patternListProblem(key, patterns);
  if (problem !== undefined) throw new ConfigError(`${problem}${source ? ` (set in ${source})` : ''}`, 'CONFIG_PATTERN');
}

/**
 * The filter of a sync. Every pattern is checked first: a bad `.arxignore`
 * line is left out with a warning, a bad include or exclude pattern is a
 * ConfigError; so nothing here or in a listing throws on a pattern.
 */
export function buildFilter(given: FilterSettings): PathFilter {
  checkList('sync.include_patterns', given.include, given.sources?.include);
  checkList('sync.exclude_patterns', given.exclude, given.sources?.exclude);
  const usable = usableIgnoreLines(given.arxignore, given.sources?.arxignore ?? IGNORE_FILE);
  const settings: FilterSettings = { ...given, arxignore: usable.lines };
  const userExcludes = [...settings.arxignore, ...settings.exclude];
  const included = settings.include.length > 0 ? compile(settings.include, 'sync.include_patterns') : undefined;
  const notIncluded = (path: string): boolean => included !== undefined && !included.ignores(path);
  // Walks never descend into excluded folders, so name-only patterns (the usual
  // case) are decided on the last path segment by a compiled matcher; other
  // patterns go through the full gitignore rules on the whole path.
  let excludeDir: (path: string) => boolean;
  let excludeFile: (path: string) => boolean;
  let belowTop: NameRule | undefined;
  if (allNameOnly(userExcludes)) {
    const names = new NameMatcher(userExcludes);
    const name = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
    excludeDir = (path) => alwaysExcluded(path) || (!names.empty && names.excludes(name(path), true));
    excludeFile = (path) => alwaysExcluded(path) || (!names.empty && names.excludes(name(path), false)) || notIncluded(path);
    // (alwaysExcluded is for the top level only; include patterns look at the whole path.)
    if (included === undefined) belowTop = names;
  } else {
    const excluded = compile(userExcludes, 'sync.exclude_patterns');
    excludeDir = (path) => alwaysExcluded(path) || excluded.ignores(`${path}/`);
    excludeFile = (path) => alwaysExcluded(path) || excluded.ignores(path) || notIncluded(path);
  }

  const filter: PathFilter = {
    maxFileSize: settings.maxFileSize,
    settings,
    warnings: usable.warnings,
    excludeDir,
    excludeFile,
    belowTop,
    unsyncedFolders(entries) {
      const drop = new Set<string>();
      if (included === undefined) return drop;
      const folders: string[] = [];
      const keep = new Set<string>();
      for (const [path, e] of entries) {
        if (e.kind === 'dir') {
          folders.push(path);
          if (!included.ignores(`${path}/`)) continue;
        }
        // A synced file or a matching folder keeps every folder above it.
        for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
          const parent = path.slice(0, i);
          if (keep.has(parent)) break;
          keep.add(parent);
        }
        if (e.kind === 'dir') keep.add(path);
      }
      for (const f of folders) if (!keep.has(f)) drop.add(f);
      return drop;
    },
  };
  return filter;
}
