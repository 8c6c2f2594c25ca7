/** Guards for relative paths that come from listings or the user. */
import { ArxError } from '../errors.js';

/** Why `path` is not a safe relative path, or undefined when it is. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.startsWith('/')) return 'is absolute';
  for (const seg of path.split('/')) {
    if (seg === '') return 'has an empty segment';
    if (seg === '.' || seg === '..') return `has a "${seg}" segment`;
  }
  return undefined;
}

/** Throw unless `path` stays inside the folder it is relative to. */
export function assertSafeRelativePath(path: string): void {
  const reason = unsafePathReason(path);
  if (reason !== undefined) {
    throw new ArxError('remote', 'UNSAFE_PATH', `refusing path ${JSON.stringify(path)}: it ${reason}`);
  }
}

/** Normalise a user-typed project path ("./symbols/a.json", "symbols\\a.json") to the sync form. */
export function normaliseUserPath(input: string): string {
  return input
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}
