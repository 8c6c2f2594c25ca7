/** The symbol validator, its messages, the file listing and the index, on their own. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSymbols } from '../../src/project/symbols/check.js';
import { listJsonFiles, listSymbolFiles } from '../../src/project/symbols/files.js';
import { buildIndex, indexFiles } from '../../src/project/symbols/index-files.js';
import { parseJson } from '../../src/project/symbols/json-text.js';
import { SYMBOL_SCHEMA, SYMBOL_SYSTEMS } from '../../src/project/symbols/schema.js';
import { builtinValidator } from '../../src/project/symbols/validator.js';
import { tempDir } from '../helpers/cli.js';

const base = { id: 'fan_1', name: 'Fan', system: 'mechanical', svg: { content: '<g/>' } };

function files(root: string, entries: Record<string, string>): void {
  for (const [rel, content] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

describe('built-in schema', () => {
  const v = builtinValidator();

  it('is a draft-07 schema with the documented systems', () => {
    expect(SYMBOL_SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(SYMBOL_SCHEMA.properties.system.enum).toEqual([...SYMBOL_SYSTEMS]);
    expect(SYMBOL_SYSTEMS).toHaveLength(10);
  });

  it('accepts the minimal symbol and unknown keys inside svg, properties and metadata', () => {
    expect(v.validate(base)).toEqual([]);
    expect(v.validate({ ...base, svg: { content: '<g/>', scale: 2 }, properties: { a: { b: 1 } }, metadata: { x: [1] } })).toEqual([]);
  });

  it('accepts every system of the list and refuses others', () => {
    for (const system of SYMBOL_SYSTEMS) expect(v.validate({ ...base, system })).toEqual([]);
    expect(v.validate({ ...base, system: 'Mechanical' })).toHaveLength(1);
  });

  it('gives one message per problem, naming the field', () => {
    expect(v.validate({ ...base, id: 'Fan 1', extra: 1, connections: [{ id: 'a', type: 't', x: 0 }] })).toEqual([
      { path: '/', message: 'unexpected field "extra"' },
      { path: '/id', message: 'must match ^[a-z0-9_]+$: lowercase letters, digits and _ only (found "Fan 1")' },
      { path: '/connections/0', message: 'missing required field "y"' },
    ]);
  });

  it('a document that is not an object is one problem at /', () => {
    expect(v.validate([base])).toEqual([{ path: '/', message: 'must be an object (found an array)' }]);
    expect(v.validate(null)).toEqual([{ path: '/', message: 'must be an object (found null)' }]);
  });

  it('repeated connections are refused like repeated tags', () => {
    const c = { id: 'a', type: 't', x: 0, y: 0 };
    expect(v.validate({ ...base, connections: [c, { ...c }] })).toEqual([
      { path: '/connections', message: 'items 0 and 1 are the same (an object); each item must be different' },
    ]);
  });
});

describe('JSON syntax errors', () => {
  it('give line and column, never throw', () => {
    expect(parseJson('{"a": 1,\n "b": }')).toEqual({ ok: false, message: 'invalid JSON at line 2, column 7: a value was expected' });
    expect(parseJson('')).toMatchObject({ ok: false, message: expect.stringMatching(/^invalid JSON at line 1, column 1/) });
    expect(parseJson('\ufeff{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
  });
});

describe('symbol files', () => {
  it('lists symbols/**/*.json sorted by code point, without index files, hidden files or temporaries', () => {
    const root = tempDir();
    files(root, {
      'symbols/index.json': '{}',
      'symbols/categories.json': '{}',
      'symbols/b/Z.json': '{}',
      'symbols/b/a.json': '{}',
      'symbols/a/x/index.json': '{}',
      'symbols/.hidden/y.json': '{}',
      'symbols/a/.arx-tmp-w-1-2': '{}',
      'symbols/a/readme.md': '',
    });
    expect(listSymbolFiles(root)).toEqual({ exists: true, files: ['symbols/a/x/index.json', 'symbols/b/Z.json', 'symbols/b/a.json'] });
    expect(listJsonFiles(root, 'rules')).toEqual({ exists: false, files: [] });
  });

  it('an unreadable or broken file is an invalid file, not a crash', () => {
    const root = tempDir();
    files(root, { 'symbols/a/broken.json': '{"id": "x",', 'symbols/a/ok.json': JSON.stringify(base) });
    const check = checkSymbols(root, builtinValidator());
    expect(check.files.map((f) => [f.file, f.problems.length])).toEqual([
      ['symbols/a/broken.json', 1],
      ['symbols/a/ok.json', 0],
    ]);
    expect(check.files[0]!.problems[0]!.message).toMatch(/^invalid JSON at line 1, column 12/);
  });
});

describe('index', () => {
  it('lists valid ids once, per system, sorted; duplicates and invalid files are counted', () => {
    const check = {
      folderExists: true,
      files: [
        { file: 'symbols/m/b.json', problems: [], id: 'b', system: 'mechanical' },
        { file: 'symbols/e/a.json', problems: [], id: 'a', system: 'electrical' },
        { file: 'symbols/m/b2.json', problems: [], id: 'b', system: 'mechanical' },
        { file: 'symbols/m/bad.json', problems: [{ path: '/', message: 'x' }], id: 'c', system: 'mechanical' },
      ],
    };
    const index = buildIndex(check);
    expect(index.ids).toEqual(['a', 'b']);
    expect([...index.categories]).toEqual([
      ['electrical', ['a']],
      ['mechanical', ['b']],
    ]);
    expect(index.duplicates).toEqual([{ id: 'b', files: ['symbols/m/b.json', 'symbols/m/b2.json'] }]);
    expect(index.invalid).toBe(1);
    expect(indexFiles(index)).toEqual([
      { file: 'symbols/index.json', content: '{\n  "symbols": [\n    "a",\n    "b"\n  ]\n}\n' },
      { file: 'symbols/categories.json', content: '{\n  "categories": {\n    "electrical": [\n      "a"\n    ],\n    "mechanical": [\n      "b"\n    ]\n  }\n}\n' },
    ]);
  });
});
