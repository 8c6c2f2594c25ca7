/** `arx init`: lay out a new Arxos project. Never overwrites an existing arxfile.json. */
import { existsSync, mkdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { PROJECT_FILE } from '../config/load.js';
import { ArxError, ConfigError, errnoCode, fsErrorToArx, UsageError } from '../errors.js';
import { IGNORE_FILE } from '../scan/filter.js';
import type { CommandSpec } from '../config/schema.js';

export const PROJECT_FOLDERS = ['symbols/mechanical', 'symbols/electrical', 'symbols/security', 'rules', 'models', 'reports'];

export const DEFAULT_ARXIGNORE = `# Paths arx never syncs (gitignore syntax).
# .arx/ (arx's own state) and .env files (secrets) are never synced anyway.
*.tmp
*.swp
*~
.DS_Store
Thumbs.db
node_modules/
`;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A project id from a folder name: lowercase letters, digits, '-' and '_'. */
export function idFromName(name: string): string {
  const id = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '');
  return id === '' ? 'project' : id;
}

export interface InitResult {
  root: string;
  projectId: string;
  created: string[];
  /** The command chains written into arxfile.json. */
  commands: { pre_sync: CommandSpec[]; post_sync: CommandSpec[] };
}

export function initProject(dir: string, opts: { projectId?: string; name?: string; now: Date }): InitResult {
  const root = resolve(dir);
  const file = join(root, PROJECT_FILE);
  if (existsSync(file)) {
    throw new UsageError(`${file} already exists; this folder is already an Arxos project (nothing was changed)`, 'ALREADY_INITIALISED');
  }
  const projectId = opts.projectId ?? idFromName(basename(root));
  if (!ID_PATTERN.test(projectId)) {
    throw new ConfigError(`--project-id ${JSON.stringify(projectId)}: use letters, digits, ".", "_" or "-" (no slashes or spaces)`);
  }
  const created: string[] = [];
  makeFolders(root);
  for (const folder of PROJECT_FOLDERS) {
    if (makeFolders(join(root, folder))) created.push(`${folder}/`);
  }
  if (!existsSync(join(root, IGNORE_FILE))) {
    attempt(`creating ${join(root, IGNORE_FILE)}`, () => writeFileSync(join(root, IGNORE_FILE), DEFAULT_ARXIGNORE));
    created.push(IGNORE_FILE);
  }
  const arxfile = {
    project_id: projectId,
    name: opts.name ?? basename(root),
    description: '',
    version: '1.0.0',
    permissions: { owner: safeUser(), editors: [], viewers: [] },
    sync: {
      enabled: true,
      remote_path: `/projects/${projectId}`,
      include_patterns: [],
      exclude_patterns: [],
      // Settled by kind of file (symbols: newest; configuration: merged; models: local); losers kept in backups.
      conflict_resolution: 'auto',
    },
    // Broken symbols stay off the remote; the index follows what the sync brought in.
    commands: {
      pre_sync: [
        { name: 'validate_symbols', command: 'arx validate-symbols', timeout: 300, required: true },
        { name: 'run_tests', command: 'arx test', timeout: 600, required: false },
      ],
      post_sync: [{ name: 'update_index', command: 'arx update-index', timeout: 60, required: true }],
    },
    metadata: { created: opts.now.toISOString() },
  };
  // 'wx': if another process created it meanwhile, fail rather than overwrite.
  attempt(`creating ${file}`, () => writeFileSync(file, JSON.stringify(arxfile, null, 2) + '\n', { flag: 'wx' }));
  created.push(PROJECT_FILE);
  return { root, projectId, created, commands: arxfile.commands };
}

/** A fault while laying out the project: permission (exit 6), disk full (exit 5), else a usage error naming the path (exit 2). */
function attempt<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ArxError) throw err;
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EDQUOT') throw fsErrorToArx(err, what, 'local');
    if (code === 'EEXIST') throw new UsageError(`${what}: it appeared meanwhile (another arx init?); nothing was overwritten`, 'ALREADY_INITIALISED');
    throw new UsageError(`${what}: not possible here (${code ?? String(err)})`, 'INIT_FAILED');
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    // ENOTDIR: a file on the way, which the caller meets going up.
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    return attempt(`reading ${path}`, () => {
      throw err;
    });
  }
}

/**
 * Create `dir` and its missing parents, one name at a time (Node's recursive
 * mkdir never returns under /proc); true when `dir` was created. A file in the
 * way is a usage error naming it.
 */
function makeFolders(dir: string): boolean {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const st = statOrUndefined(d);
    if (st?.isDirectory()) break;
    if (st !== undefined) throw new UsageError(`${d} is a file, not a folder; arx init needs a folder for the project (--project DIR)`, 'NOT_A_FOLDER');
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    attempt(`creating the folder ${d}`, () => {
      try {
        mkdirSync(d);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST' || !statSync(d).isDirectory()) throw err;
      }
    });
  }
  return missing.length > 0;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'owner';
  }
}
