/**
 * Table-driven tests for the three-way merges of configuration files:
 * mergeJson (arxfile.json, rules/*.json), mergeLines (.arxignore) and
 * detectIndent.
 */
import { describe, expect, it } from 'vitest';
import { detectIndent, mergeJson, mergeLines, type MergeResult } from '../../src/core/merge.js';

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

/** A JSON file as an editor would write it: pretty-printed, final newline. */
const j = (value: unknown, indent: string | number = 2): string => JSON.stringify(value, null, indent) + '\n';

type Expected = string | { clashes: string[] } | { invalid: true };

interface JsonCase {
  name: string;
  base: string | undefined;
  local: string;
  remote: string;
  expected: Expected;
}

function check(result: MergeResult, expected: Expected): void {
  if (typeof expected === 'string') {
    expect(result).toEqual({ ok: true, text: expected });
    return;
  }
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(typeof result.reason).toBe('string');
  expect(result.reason.length).toBeGreaterThan(0);
  if ('invalid' in expected) {
    expect(result.clashes).toEqual([]);
    expect(result.reason).toMatch(/JSON/);
  } else {
    // The order of the named paths is not part of the contract; the set is.
    expect([...result.clashes].sort()).toEqual([...expected.clashes].sort());
    for (const path of expected.clashes) expect(result.reason).toContain(path);
  }
}

// ---------------------------------------------------------------------------
// mergeJson
// ---------------------------------------------------------------------------

describe('mergeJson', () => {
  const cases: JsonCase[] = [
    // --- nested objects ---------------------------------------------------
    {
      name: 'nested: different keys of one object changed on each side',
      base: j({ permissions: { owner: 'ann', mode: 'rw' }, name: 'p' }),
      local: j({ permissions: { owner: 'bob', mode: 'rw' }, name: 'p' }),
      remote: j({ permissions: { owner: 'ann', mode: 'r' }, name: 'p' }),
      expected: j({ permissions: { owner: 'bob', mode: 'r' }, name: 'p' }),
    },
    {
      name: 'nested: deep change on the remote only is taken',
      base: j({ a: { b: { c: 1, d: 2 } }, e: 0 }),
      local: j({ a: { b: { c: 1, d: 2 } }, e: 0 }),
      remote: j({ a: { b: { c: 5, d: 2 } }, e: 0 }),
      expected: j({ a: { b: { c: 5, d: 2 } }, e: 0 }),
    },
    {
      name: 'nested: same key changed differently clashes by dotted path',
      base: j({ permissions: { owner: 'ann', mode: 'rw' } }),
      local: j({ permissions: { owner: 'bob', mode: 'rw' } }),
      remote: j({ permissions: { owner: 'cat', mode: 'rw' } }),
      expected: { clashes: ['permissions.owner'] },
    },
    {
      name: 'nested: several clashes are all named',
      base: j({ a: 1, b: { c: 1 }, d: 1, e: 1 }),
      local: j({ a: 2, b: { c: 2 }, d: 1, e: 2 }),
      remote: j({ a: 3, b: { c: 3 }, d: 2, e: 2 }),
      expected: { clashes: ['a', 'b.c'] },
    },
    // --- arrays of plain values -------------------------------------------
    {
      name: 'values array: additions on both sides are all kept',
      base: j({ editors: ['ann'] }),
      local: j({ editors: ['ann', 'bob'] }),
      remote: j({ editors: ['ann', 'cat'] }),
      expected: j({ editors: ['ann', 'bob', 'cat'] }),
    },
    {
      name: 'values array: removal on local, addition on remote',
      base: j({ tags: ['a', 'b', 'c'] }),
      local: j({ tags: ['a', 'c'] }),
      remote: j({ tags: ['a', 'b', 'c', 'd'] }),
      expected: j({ tags: ['a', 'c', 'd'] }),
    },
    {
      name: 'values array: removal on remote, addition on local',
      base: j({ tags: ['a', 'b'] }),
      local: j({ tags: ['a', 'b', 'x'] }),
      remote: j({ tags: ['b'] }),
      expected: j({ tags: ['b', 'x'] }),
    },
    {
      name: 'values array: both sides remove different values',
      base: j({ tags: ['a', 'b', 'c'] }),
      local: j({ tags: ['a', 'c'] }),
      remote: j({ tags: ['a', 'b'] }),
      expected: j({ tags: ['a'] }),
    },
    {
      name: 'values array: a value added on both sides appears once',
      base: j({ editors: ['ann'] }),
      local: j({ editors: ['ann', 'zoe'] }),
      remote: j({ editors: ['zoe', 'ann', 'quinn'] }),
      expected: j({ editors: ['ann', 'zoe', 'quinn'] }),
    },
    {
      name: 'values array: duplicates collapse (set semantics)',
      base: j({ tags: ['a'] }),
      local: j({ tags: ['a', 'b', 'b'] }),
      remote: j({ tags: ['a', 'c', 'c'] }),
      expected: j({ tags: ['a', 'b', 'c'] }),
    },
    {
      name: 'values array: numbers, booleans and null; "1" and 1 are different values',
      base: j({ levels: [0, 1, 2], flags: [true, null], ids: [1] }),
      local: j({ levels: [0, 1, 2, 3], flags: [true, null], ids: [1, '1'] }),
      remote: j({ levels: [1, 2], flags: [true, null, false], ids: [1, 2] }),
      expected: j({ levels: [1, 2, 3], flags: [true, null, false], ids: [1, '1', 2] }),
    },
    // --- arrays of objects --------------------------------------------------
    {
      name: 'objects array: changed differently on both sides clashes at the array',
      base: j({ rules: [{ id: 1, on: true }] }),
      local: j({ rules: [{ id: 1, on: false }] }),
      remote: j({ rules: [{ id: 1, on: true }, { id: 2, on: true }] }),
      expected: { clashes: ['rules'] },
    },
    {
      name: 'objects array: changed on one side only is taken whole',
      base: j({ rules: [{ id: 1 }], v: 1 }),
      local: j({ rules: [{ id: 1 }], v: 2 }),
      remote: j({ rules: [{ id: 1 }, { id: 2 }], v: 1 }),
      expected: j({ rules: [{ id: 1 }, { id: 2 }], v: 2 }),
    },
    // --- keys added / removed -----------------------------------------------
    {
      name: 'keys: one added on local, another on remote',
      base: j({ a: 1 }),
      local: j({ a: 1, b: 2 }),
      remote: j({ a: 1, c: 3 }),
      expected: j({ a: 1, b: 2, c: 3 }),
    },
    {
      name: 'keys: removed on local while remote adds another',
      base: j({ a: 1, b: 2, c: 3 }),
      local: j({ a: 1, c: 3 }),
      remote: j({ a: 1, b: 2, c: 3, d: 4 }),
      expected: j({ a: 1, c: 3, d: 4 }),
    },
    {
      name: 'keys: removed on remote while local changes another',
      base: j({ a: 1, b: 2 }),
      local: j({ a: 5, b: 2 }),
      remote: j({ a: 1 }),
      expected: j({ a: 5 }),
    },
    {
      name: 'keys: removed on both sides stays removed',
      base: j({ a: 1, b: 2 }),
      local: j({ a: 2 }),
      remote: j({ a: 1 }),
      expected: j({ a: 2 }),
    },
    {
      name: 'keys: removed on local, changed on remote clashes',
      base: j({ a: 1, b: 2 }),
      local: j({ a: 1 }),
      remote: j({ a: 1, b: 3 }),
      expected: { clashes: ['b'] },
    },
    {
      name: 'keys: nested key changed on local, its object removed on remote clashes',
      base: j({ settings: { unit: 'm' }, x: 1 }),
      local: j({ settings: { unit: 'mm' }, x: 1 }),
      remote: j({ x: 1 }),
      expected: { clashes: ['settings'] },
    },
    {
      name: 'keys: same new key with different values on both sides clashes',
      base: j({}),
      local: j({ a: 1 }),
      remote: j({ a: 2 }),
      expected: { clashes: ['a'] },
    },
    // --- same change / clashing change / type change ------------------------
    {
      name: 'same change on both sides is taken once, with the other side change',
      base: j({ v: 1, n: 'x', tags: ['a'] }),
      local: j({ v: 2, n: 'y', tags: ['a', 'b'] }),
      remote: j({ v: 2, n: 'x', tags: ['a', 'b'] }),
      expected: j({ v: 2, n: 'y', tags: ['a', 'b'] }),
    },
    {
      name: 'clashing scalar change',
      base: j({ units: 'm', scale: 1 }),
      local: j({ units: 'mm', scale: 1 }),
      remote: j({ units: 'cm', scale: 1 }),
      expected: { clashes: ['units'] },
    },
    {
      name: 'type change object -> array against a change of the object clashes',
      base: j({ a: { x: 1 } }),
      local: j({ a: [1] }),
      remote: j({ a: { x: 2 } }),
      expected: { clashes: ['a'] },
    },
    {
      name: 'root type change clashes as (root)',
      base: j({ a: 1 }),
      local: j([1]),
      remote: j({ a: 2 }),
      expected: { clashes: ['(root)'] },
    },
    // --- numbers, booleans, null ---------------------------------------------
    {
      name: 'numbers, booleans and null values taken from either side',
      base: j({ n: 1, f: false, z: null, x: 1.5, k: true }),
      local: j({ n: -2.25, f: false, z: 0, x: 1.5, k: true }),
      remote: j({ n: 1, f: true, z: null, x: null, k: true }),
      expected: j({ n: -2.25, f: true, z: 0, x: null, k: true }),
    },
    // --- invalid JSON, empty file ---------------------------------------------
    { name: 'invalid JSON on local', base: j({ a: 1 }), local: '{"a": 1,', remote: j({ a: 2 }), expected: { invalid: true } },
    { name: 'invalid JSON on remote', base: j({ a: 1 }), local: j({ a: 2 }), remote: "{'a': 1}", expected: { invalid: true } },
    { name: 'invalid JSON on base', base: '{"a": }', local: j({ a: 2 }), remote: j({ a: 3 }), expected: { invalid: true } },
    { name: 'empty local file', base: j({ a: 1 }), local: '', remote: j({ a: 2 }), expected: { invalid: true } },
    { name: 'whitespace-only remote file', base: j({ a: 1 }), local: j({ a: 2 }), remote: '\n  \n', expected: { invalid: true } },
    // --- no base (file created on both sides) ---------------------------------
    {
      name: 'no base: disjoint keys are merged',
      base: undefined,
      local: j({ a: 1, shared: 'x' }),
      remote: j({ shared: 'x', b: 2 }),
      expected: j({ a: 1, shared: 'x', b: 2 }),
    },
    {
      name: 'no base: disjoint keys of a nested object are merged',
      base: undefined,
      local: j({ o: { a: 1 } }),
      remote: j({ o: { b: 2 } }),
      expected: j({ o: { a: 1, b: 2 } }),
    },
    {
      name: 'no base: arrays of values are unioned',
      base: undefined,
      local: j({ tags: ['a', 'b'] }),
      remote: j({ tags: ['b', 'c'] }),
      expected: j({ tags: ['a', 'b', 'c'] }),
    },
    {
      name: 'no base: a shared key with different values clashes',
      base: undefined,
      local: j({ a: 1, b: 'same' }),
      remote: j({ a: 2, b: 'same' }),
      expected: { clashes: ['a'] },
    },
    // --- clash paths needing quoting, unicode keys ------------------------------
    {
      name: 'clash path quotes a key with a space',
      base: j({ a: { 'key with space': 1 } }),
      local: j({ a: { 'key with space': 2 } }),
      remote: j({ a: { 'key with space': 3 } }),
      expected: { clashes: ['a["key with space"]'] },
    },
    {
      name: 'clash path quotes a root key with a dash',
      base: j({ 'fire-rating': 'A' }),
      local: j({ 'fire-rating': 'B' }),
      remote: j({ 'fire-rating': 'C' }),
      expected: { clashes: ['["fire-rating"]'] },
    },
    {
      name: 'clash path quotes a dotted key, then continues with dots',
      base: j({ a: { 'x.y': { z: 1 } } }),
      local: j({ a: { 'x.y': { z: 2 } } }),
      remote: j({ a: { 'x.y': { z: 3 } } }),
      expected: { clashes: ['a["x.y"].z'] },
    },
    {
      name: 'clash path keeps a unicode key readable',
      base: j({ dims: { 'Länge (m²)': 1 } }),
      local: j({ dims: { 'Länge (m²)': 2 } }),
      remote: j({ dims: { 'Länge (m²)': 3 } }),
      expected: { clashes: ['dims["Länge (m²)"]'] },
    },
    {
      name: 'unicode keys and values merge and stay unescaped',
      base: '{\n  "名前": "a",\n  "ü": 1\n}\n',
      local: '{\n  "名前": "ビル",\n  "ü": 1\n}\n',
      remote: '{\n  "名前": "a",\n  "ü": 2\n}\n',
      expected: '{\n  "名前": "ビル",\n  "ü": 2\n}\n',
    },
    // --- formatting: indentation and final newline -----------------------------
    {
      name: 'indent: 4 spaces of the local file kept (remote uses 2)',
      base: j({ a: 1, b: { c: 1 } }, 4),
      local: j({ a: 2, b: { c: 1 } }, 4),
      remote: j({ a: 1, b: { c: 3 } }, 2),
      expected: '{\n    "a": 2,\n    "b": {\n        "c": 3\n    }\n}\n',
    },
    {
      name: 'indent: tab of the local file kept',
      base: j({ a: 1, b: [1] }, '\t'),
      local: j({ a: 2, b: [1] }, '\t'),
      remote: j({ a: 1, b: [1, 2] }, 4),
      expected: '{\n\t"a": 2,\n\t"b": [\n\t\t1,\n\t\t2\n\t]\n}\n',
    },
    {
      name: 'indent: 2 spaces of the local file kept (remote uses 4)',
      base: j({ a: 1, b: 1 }),
      local: j({ a: 2, b: 1 }),
      remote: j({ a: 1, b: 2 }, 4),
      expected: '{\n  "a": 2,\n  "b": 2\n}\n',
    },
    {
      name: 'indent: compact local file gets 2 spaces, no final newline as before',
      base: '{"a":1,"b":1}',
      local: '{"a":2,"b":1}',
      remote: j({ a: 1, b: 2 }, 4),
      expected: '{\n  "a": 2,\n  "b": 2\n}',
    },
    {
      name: 'newline: absent at the end of the local file stays absent',
      base: '{\n  "a": 1,\n  "b": 1\n}',
      local: '{\n  "a": 2,\n  "b": 1\n}',
      remote: '{\n  "a": 1,\n  "b": 2\n}\n',
      expected: '{\n  "a": 2,\n  "b": 2\n}',
    },
    {
      name: 'newline: present at the end of the local file is kept',
      base: '{\n  "a": 1,\n  "b": 1\n}\n',
      local: '{\n  "a": 2,\n  "b": 1\n}\n',
      remote: '{\n  "a": 1,\n  "b": 2\n}',
      expected: '{\n  "a": 2,\n  "b": 2\n}\n',
    },
    // --- key order -------------------------------------------------------------
    {
      name: 'order: local key order, keys new on the remote appended',
      base: j({ z: 1, a: 1 }),
      local: j({ z: 2, a: 1 }),
      remote: j({ a: 1, z: 1, m: 3, b: 4 }),
      expected: j({ z: 2, a: 1, m: 3, b: 4 }),
    },
    {
      name: 'order: inside a nested object, local order then new remote keys',
      base: j({ o: { y: 1, x: 1 } }),
      local: j({ o: { y: 1, x: 2, w: 0 } }),
      remote: j({ o: { x: 1, y: 1, v: 9 } }),
      expected: j({ o: { y: 1, x: 2, w: 0, v: 9 } }),
    },
    {
      name: 'order: local order kept when only the remote changed (remote reordered its keys)',
      base: j({ a: 1, b: 2, c: 3 }),
      local: j({ a: 1, b: 2, c: 3 }),
      remote: j({ c: 3, b: 20, a: 1 }),
      expected: j({ a: 1, b: 20, c: 3 }),
    },
    {
      name: 'keys: an unchanged "__proto__" key is kept like any other key',
      base: '{\n  "a": 1,\n  "__proto__": {\n    "x": 1\n  }\n}\n',
      local: '{\n  "a": 2,\n  "__proto__": {\n    "x": 1\n  }\n}\n',
      remote: '{\n  "a": 1,\n  "__proto__": {\n    "x": 1\n  },\n  "b": 3\n}\n',
      expected: '{\n  "a": 2,\n  "__proto__": {\n    "x": 1\n  },\n  "b": 3\n}\n',
    },
  ];

  it('has a broad table', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name', ({ base, local, remote, expected }) => {
    check(mergeJson(base, local, remote), expected);
  });
});

// ---------------------------------------------------------------------------
// mergeLines (.arxignore)
// ---------------------------------------------------------------------------

describe('mergeLines', () => {
  const cases: { name: string; base: string | undefined; local: string; remote: string; expected: string }[] = [
    { name: 'nothing changed', base: 'a\nb\n', local: 'a\nb\n', remote: 'a\nb\n', expected: 'a\nb\n' },
    { name: 'additions on both sides: local lines, then remote additions', base: 'a\n', local: 'a\nl\n', remote: 'a\nr\n', expected: 'a\nl\nr\n' },
    { name: 'the same line added on both sides appears once', base: 'a\n', local: 'a\nx\n', remote: 'x\na\n', expected: 'a\nx\n' },
    { name: 'removed on remote, added on local', base: 'a\nb\n', local: 'a\nb\nc\n', remote: 'b\n', expected: 'b\nc\n' },
    { name: 'removed on local, remote unchanged', base: 'a\nb\nc\n', local: 'a\nc\n', remote: 'a\nb\nc\n', expected: 'a\nc\n' },
    { name: 'both sides remove different lines', base: 'a\nb\nc\n', local: 'a\nc\n', remote: 'a\nb\n', expected: 'a\n' },
    { name: 'removed on local, remote adds another', base: 'a\n', local: '', remote: 'a\nb\n', expected: 'b\n' },
    { name: 'no base: union of both files', base: undefined, local: '*.tmp\nbuild/\n', remote: 'build/\n*.bak\n', expected: '*.tmp\nbuild/\n*.bak\n' },
    { name: 'comments and blank lines of local are kept', base: '# caches\n\n*.tmp\n', local: '# caches\n\n*.tmp\n*.log\n', remote: '# caches\n\n*.tmp\n/out\n', expected: '# caches\n\n*.tmp\n*.log\n/out\n' },
    { name: 'everything removed on both sides gives an empty file', base: 'a\nb\n', local: 'b\n', remote: 'a\n', expected: '' },
    { name: 'similar-looking lines are distinct', base: 'build\n', local: 'build\nbuild/\n', remote: 'build\n/build\n', expected: 'build\nbuild/\n/build\n' },
  ];

  it.each(cases)('$name', ({ base, local, remote, expected }) => {
    expect(mergeLines(base, local, remote)).toEqual({ ok: true, text: expected });
  });
});

// ---------------------------------------------------------------------------
// detectIndent
// ---------------------------------------------------------------------------

describe('detectIndent', () => {
  it.each([
    ['two spaces', '{\n  "a": 1\n}\n', '  '],
    ['four spaces', '{\n    "a": {\n        "b": 1\n    }\n}\n', '    '],
    ['tab', '{\n\t"a": 1\n}\n', '\t'],
    ['CRLF with four spaces', '{\r\n    "a": 1\r\n}\r\n', '    '],
    ['root array with four spaces', '[\n    1,\n    2\n]\n', '    '],
    ['root level wins over a deeper array of objects', '{\n  "list": [\n      {\n          "a": 1\n      }\n  ]\n}\n', '  '],
    ['compact file: two spaces', '{"a":1,"b":[1,2]}', '  '],
    ['empty object: two spaces', '{}\n', '  '],
  ])('%s', (_name, text, indent) => {
    expect(detectIndent(text)).toBe(indent);
  });
});

describe('line ends and byte-order mark follow the local file', () => {
  it('keeps CRLF and a BOM in a JSON merge', () => {
    const r = mergeJson('{\r\n  "a": 1\r\n}\r\n', '\ufeff{\r\n  "a": 2\r\n}\r\n', '{\r\n  "a": 1,\r\n  "b": 3\r\n}\r\n');
    expect(r).toEqual({ ok: true, text: '\ufeff{\r\n  "a": 2,\r\n  "b": 3\r\n}\r\n' });
  });

  it('keeps CRLF in a line merge', () => {
    expect(mergeLines('a\r\n', 'a\r\nb\r\n', 'a\r\nc\r\n')).toEqual({ ok: true, text: 'a\r\nb\r\nc\r\n' });
  });
});
