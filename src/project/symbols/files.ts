/** Which JSON files under a project folder the project tools look at. */
import { readdirSync, type Dirent } from 'node:fs';
import { errnoCode, fsErrorToArx } from '../../errors.js';
import { isTempName } from '../../remote/types.js';

/** Written by `arx update-index`; they are not symbols. */
export const INDEX_FILES = ['symbols/index.json', 'symbols/categories.json'];

export interface JsonFileList {
  /** False when the folder does not exist. */
  exists: boolean;
  /** Project-relative paths with forward slashes, in code-point order. */
  files: string[];
}

/**
 * Every `*.json` file under `folder` (project-relative, e.g. "symbols"),
 * recursively. Hidden names (including arx's `.arx-tmp-` temporaries) and
 * symbolic links are skipped; `skip` lists project-relative paths to leave out.
 */
export function listJsonFiles(root: string, folder: string, skip: readonly string[] = []): JsonFileList {
  const files: string[] = [];
  const skipped = new Set(skip);
  const queue = [folder];
  let exists = true;
  while (queue.length > 0) {
    const rel = queue.pop()!;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(`${root}/${rel}`, { withFileTypes: true });
    } catch (err) {
      if (rel === folder && (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR')) {
        exists = false;
        continue;
      }
      throw fsErrorToArx(err, `${rel}/`, 'local');
    }
    for (const d of dirents) {
      if (d.name.startsWith('.') || isTempName(d.name)) continue;
      const path = `${rel}/${d.name}`;
      if (d.isDirectory()) queue.push(path);
      else if (d.isFile() && d.name.endsWith('.json') && !skipped.has(path)) files.push(path);
    }
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { exists, files };
}

/** The symbol files of a project: `symbols/**\/*.json` without the index files. */
export function listSymbolFiles(root: string): JsonFileList {
  return listJsonFiles(root, 'symbols', INDEX_FILES);
}
