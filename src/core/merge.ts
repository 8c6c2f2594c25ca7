/**
 * Three-way merges of configuration files against their last synced version.
 * Pure: text in, text (or the clashing places) out.
 *
 * JSON: keys changed on one side only are taken; the same change on both
 * sides is taken once; arrays of plain values merge as sets of additions and
 * removals; anything changed differently on both sides is a clash, named by
 * its JSON path. The result keeps the local file's indentation and final
 * newline, and its key order (keys new on the remote come after; as in any
 * JavaScript object, keys that look like array indices come first).
 *
 * Lines (.arxignore): lines added or removed on either side are applied.
 */

export type MergeResult = { ok: true; text: string } | { ok: false; clashes: string[]; reason: string };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ABSENT = Symbol('absent');
type Slot = Json | typeof ABSENT;

function isObject(v: Slot): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPlain(v: Json): boolean {
  return v === null || typeof v !== 'object';
}

function same(a: Slot, b: Slot): boolean {
  if (a === ABSENT || b === ABSENT) return a === b;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => same(x, bb[i]!));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k]!, (b as Record<string, Json>)[k]!));
}

function pathOf(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (parent === '' ? key : `${parent}.${key}`) : `${parent}[${JSON.stringify(key)}]`;
}

/** Merge arrays of plain values as sets: removals and additions of either side. */
function mergeSets(base: Json[], local: Json[], remote: Json[]): Json[] {
  const has = (list: Json[], v: Json): boolean => list.some((x) => x === v);
  const removedByRemote = base.filter((v) => !has(remote, v));
  const result = local.filter((v) => !has(removedByRemote, v));
  for (const v of remote) if (!has(base, v) && !has(result, v)) result.push(v);
  return result.filter((v, i) => result.findIndex((x) => x === v) === i);
}

function mergeValue(base: Slot, local: Slot, remote: Slot, path: string, clashes: string[]): Slot {
  if (same(local, remote)) return local;
  // Objects merge key by key even when one side is unchanged, so the local key order stays.
  const objects = isObject(local) && isObject(remote) && (isObject(base) || base === ABSENT);
  if (!objects && same(base, local)) return remote;
  if (!objects && same(base, remote)) return local;
  if (objects) {
    const b = isObject(base) ? base : {};
    // No prototype: a "__proto__" key is then an ordinary key.
    const out: { [key: string]: Json } = Object.create(null) as { [key: string]: Json };
    const keys = [...Object.keys(local), ...Object.keys(remote).filter((k) => !Object.hasOwn(local, k))];
    for (const k of keys) {
      const v = mergeValue(Object.hasOwn(b, k) ? b[k]! : ABSENT, Object.hasOwn(local, k) ? local[k]! : ABSENT, Object.hasOwn(remote, k) ? remote[k]! : ABSENT, pathOf(path, k), clashes);
      if (v !== ABSENT) out[k] = v;
    }
    return out;
  }
  if (Array.isArray(local) && Array.isArray(remote) && (Array.isArray(base) || base === ABSENT)) {
    const b = Array.isArray(base) ? base : [];
    if ([b, local, remote].every((list) => list.every(isPlain))) return mergeSets(b, local, remote);
  }
  clashes.push(path === '' ? '(root)' : path);
  return local;
}

/** Give `text` (with \n line ends) the local file's line ends (CRLF or LF) and byte-order mark. */
function likeLocal(local: string, text: string): string {
  const crlf = local.includes('\r\n') ? text.replace(/\n/g, '\r\n') : text;
  return local.charCodeAt(0) === 0xfeff ? `\ufeff${crlf}` : crlf;
}

/** The indentation unit a JSON text uses (two spaces when it has none). */
export function detectIndent(text: string): string {
  const m = /^[ \t]*[{[][ \t]*\r?\n([ \t]+)\S/m.exec(text);
  return m ? m[1]! : '  ';
}

function parse(text: string): Json | undefined {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Json;
  } catch {
    return undefined;
  }
}

/** Three-way JSON merge. `base` undefined: no synced version (both sides created the file). */
export function mergeJson(base: string | undefined, local: string, remote: string): MergeResult {
  const l = parse(local);
  const r = parse(remote);
  const invalid = [l === undefined ? 'local' : '', r === undefined ? 'remote' : ''].filter(Boolean);
  if (invalid.length > 0) return { ok: false, clashes: [], reason: `not valid JSON on ${invalid.join(' and ')}` };
  const b = base === undefined ? ABSENT : parse(base);
  if (b === undefined) return { ok: false, clashes: [], reason: 'the last synced version is not valid JSON' };
  const clashes: string[] = [];
  const merged = mergeValue(b, l!, r!, '', clashes);
  if (clashes.length > 0) return { ok: false, clashes, reason: `changed differently on both sides: ${clashes.join(', ')}` };
  return { ok: true, text: likeLocal(local, JSON.stringify(merged, null, detectIndent(local)) + (/\r?\n$/.test(local) ? '\n' : '')) };
}

/** Three-way merge of line lists (.arxignore): additions and removals of both sides. */
export function mergeLines(base: string | undefined, local: string, remote: string): MergeResult {
  const lines = (t: string): string[] => t.split(/\r?\n/).filter((x, i, all) => !(i === all.length - 1 && x === ''));
  const b = base === undefined ? [] : lines(base);
  const l = lines(local);
  const r = lines(remote);
  const removedByRemote = new Set(b.filter((x) => !r.includes(x)));
  const result = l.filter((x) => !removedByRemote.has(x));
  for (const x of r) if (!b.includes(x) && !result.includes(x)) result.push(x);
  return { ok: true, text: likeLocal(local, result.join('\n') + (result.length > 0 ? '\n' : '')) };
}
