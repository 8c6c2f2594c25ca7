/**
 * Validate one configuration layer against its schema. Errors name the file,
 * the JSON path of the field and what was expected; unknown keys are dropped
 * and reported as warnings.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export type JsonPath = readonly PropertyKey[];

/** `sync.include_patterns[2]` style path; `(root)` for the top level. */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const msg = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return msg;
}

function deleteAt(root: unknown, path: JsonPath, keys: string[]): void {
  let node: unknown = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<PropertyKey, unknown>)[part as string];
  }
  if (node !== null && typeof node === 'object') {
    for (const k of keys) delete (node as Record<string, unknown>)[k];
  }
}

/**
 * The path of a field, with ` (entry "x")` after the list item it is in when that
 * item has a `name` (a chain command, say): `commands.pre_sync[0] (entry "x").command`.
 */
function describePath(root: unknown, path: JsonPath): string {
  let node: unknown = root;
  let namedAt = -1;
  let name = '';
  path.forEach((part, i) => {
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[part as string] : undefined;
    const n = typeof part === 'number' && node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
    if (typeof n === 'string' && n !== '') [namedAt, name] = [i, n];
  });
  if (namedAt < 0) return formatJsonPath(path);
  const rest = path.slice(namedAt + 1);
  return `${formatJsonPath(path.slice(0, namedAt + 1))} (entry ${JSON.stringify(name)})${rest.length === 0 ? '' : formatJsonPath(rest).replace(/^(?!\[)/, '.')}`;
}

export interface Validated<T> {
  value: T;
  warnings: string[];
}

/**
 * Check `input` (already parsed JSON) against `schema`. `label` names the
 * source (a file, or "environment variable X") in every message.
 */
export function validateLayer<T>(schema: z.ZodType<T>, input: unknown, label: string): Validated<T> {
  const data: unknown = structuredClone(input);
  const warnings: string[] = [];
  // Unknown keys are removed one round at a time: removing them may reveal nothing new,
  // but a nested strict object only reports its own keys once its parent parsed.
  for (let round = 0; round < 8; round++) {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data, warnings };
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    const real = result.error.issues.filter((i) => i.code !== 'unrecognized_keys');
    if (real.length > 0) {
      const lines = real.map((i) => `${label}: ${describePath(data, i.path)}: ${describeIssue(i)}`);
      const more = lines.length > 1 ? ` (and ${lines.length - 1} more; --verbose lists them)` : '';
      throw new ConfigError(lines[0]! + more, 'CONFIG_INVALID', lines.slice(1));
    }
    for (const issue of unknown) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        warnings.push(`${label}: unknown key ${formatJsonPath([...issue.path, key])} is ignored`);
      }
      deleteAt(data, issue.path, issue.keys);
    }
  }
  throw new ConfigError(`${label}: could not be validated`, 'CONFIG_INVALID');
}
