/** Turn ajv's errors into problems a person can act on: a JSON path and a message naming the field. */
import type { ErrorObject } from 'ajv';
import { SYMBOL_ID_PATTERN } from './schema.js';

export interface Problem {
  /** JSON pointer into the file; `/` for the whole document. */
  path: string;
  message: string;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** A short description of a value found in the file. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

function plain(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value at a JSON pointer (as ajv reports them). */
function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function describe(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required field "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `unexpected field "${String(p.additionalProperty)}"`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(plain).join(', ')} (found ${show(value)})`;
    case 'const':
      return `must be ${plain(p.allowedValue)} (found ${show(value)})`;
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return `must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')} (found ${show(value)})`;
    }
    case 'pattern': {
      const hint = p.pattern === SYMBOL_ID_PATTERN ? ': lowercase letters, digits and _ only' : '';
      return `must match ${String(p.pattern)}${hint} (found ${show(value)})`;
    }
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters long`;
    case 'uniqueItems': {
      const [a, b] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
      const items = Array.isArray(value) ? value : [];
      return `items ${a} and ${b} are the same (${show(items[a!])}); each item must be different`;
    }
    case 'false schema':
      return 'is not allowed here';
    default:
      return e.message ?? `fails "${e.keyword}"`;
  }
}

/** One problem per ajv error, in the order ajv found them, without repeats. */
export function describeErrors(errors: readonly ErrorObject[], data: unknown): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = e.instancePath === '' ? '/' : e.instancePath;
    const message = describe(e, valueAt(data, e.instancePath));
    const key = `${path}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}
