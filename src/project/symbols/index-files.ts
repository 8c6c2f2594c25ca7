/**
 * `symbols/index.json` and `symbols/categories.json`, built from the valid
 * symbol files. Rewritten only when their content changes, so an unchanged
 * project gives a following sync nothing to do.
 */
import { join } from 'node:path';
import { writeIfChanged } from './atomic-write.js';
import type { SymbolCheck } from './check.js';
import { INDEX_FILES } from './files.js';

export interface SymbolIndex {
  ids: string[];
  /** system -> ids, both sorted. */
  categories: Map<string, string[]>;
  /** Ids found in more than one file, with those files. */
  duplicates: { id: string; files: string[] }[];
  /** Files left out because they are not valid symbols. */
  invalid: number;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The index of a project's valid symbols (`check` must use the built-in schema). */
export function buildIndex(check: SymbolCheck): SymbolIndex {
  const filesById = new Map<string, string[]>();
  const bySystem = new Map<string, Set<string>>();
  let invalid = 0;
  for (const f of check.files) {
    if (f.problems.length > 0 || f.id === undefined || f.system === undefined) {
      invalid++;
      continue;
    }
    const files = filesById.get(f.id);
    if (files) files.push(f.file);
    else filesById.set(f.id, [f.file]);
    let ids = bySystem.get(f.system);
    if (!ids) bySystem.set(f.system, (ids = new Set()));
    ids.add(f.id);
  }
  const categories = new Map<string, string[]>();
  for (const system of [...bySystem.keys()].sort(byCodePoint)) categories.set(system, [...bySystem.get(system)!].sort(byCodePoint));
  return {
    ids: [...filesById.keys()].sort(byCodePoint),
    categories,
    duplicates: [...filesById].filter(([, files]) => files.length > 1).map(([id, files]) => ({ id, files })).sort((a, b) => byCodePoint(a.id, b.id)),
    invalid,
  };
}

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

/** The two files' project-relative paths and content. */
export function indexFiles(index: SymbolIndex): { file: string; content: string }[] {
  const [indexFile, categoriesFile] = INDEX_FILES as [string, string];
  return [
    { file: indexFile, content: json({ symbols: index.ids }) },
    { file: categoriesFile, content: json({ categories: Object.fromEntries(index.categories) }) },
  ];
}

/** Write the index files that changed; returns the project-relative paths written. */
export function writeIndex(root: string, index: SymbolIndex): string[] {
  const written: string[] = [];
  for (const { file, content } of indexFiles(index)) {
    if (writeIfChanged(join(root, file), content, file)) written.push(file);
  }
  return written;
}
