/** Filters: gitignore semantics, and the fast name matcher agreeing with the reference library. */
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { buildFilter } from '../../src/scan/filter.js';
import { allNameOnly, NameMatcher } from '../../src/scan/name-matcher.js';

const PATTERN_SETS: string[][] = [
  ['*.tmp', '*.swp', '*~', '.DS_Store', 'Thumbs.db', 'node_modules/'],
  ['*.json', '!keep.json'],
  ['build', '!build/'],
  ['# comment', '', '   ', 'a?c', '[ab]*.txt'],
  ['\\#hash', '\\!bang', 'trailing   ', 'esc\\ ', '*.bak'],
  ['cache/', '!cache'],
  ['**foo', 'x**'],
  ['*.ifc', '!*.small.ifc', '*.tiny.small.ifc'],
  ['*.tmp', '[!a]*.json', 'foo(1).json', 'a+b.txt', '{x,y}.md', '$HOME', 'c^d', 'e|f'],
  ['[a-c]?.txt', '[]x].txt', '[!]]z', 'we[i', '\\*star', 'q\\?'],
];
const NAMES = ['A.TMP', 'b.json', 'a.json', 'foo(1).json', 'foo1.json', 'a+b.txt', 'aab.txt', '{x,y}.md', 'x.md', '$HOME', 'c^d', 'e|f', 'e',
  'a1.txt', 'd1.txt', ']x.txt', 'x.txt', ']z', 'az', 'we[i', '*star', 'xstar', 'q?', 'qx', 'a.tmp', 'a.tmp.x', '.tmp', 'x.swp', 'notes~', '.DS_Store', 'Thumbs.db', 'node_modules', 'data.json', 'keep.json', 'build',
  'abc', 'axc', 'ac', 'a.txt', 'b-file.txt', 'c.txt', '#hash', 'hash', '!bang', 'bang', 'trailing', 'trailing   ', 'esc ', 'esc', 'x.bak', 'cache',
  'xfoo', 'foo', 'xyz', 'm.ifc', 'm.small.ifc', 'm.tiny.small.ifc', 'Hello, 世界.json', 'hello? sausage'];

describe('NameMatcher agrees with gitignore rules (the ignore library) on names', () => {
  for (const patterns of PATTERN_SETS) {
    it(JSON.stringify(patterns), () => {
      expect(allNameOnly(patterns)).toBe(true);
      const ref = ignore({ allowRelativePaths: true, ignorecase: false }).add(patterns);
      const m = new NameMatcher(patterns);
      for (const name of NAMES) {
        expect([name, 'file', m.excludes(name, false)]).toEqual([name, 'file', ref.ignores(name)]);
        expect([name, 'dir', m.excludes(name, true)]).toEqual([name, 'dir', ref.ignores(`${name}/`)]);
      }
    });
  }

  it('patterns with a folder part are not name-only', () => {
    expect(allNameOnly(['symbols/*.json'])).toBe(false);
    expect(allNameOnly(['/top.txt'])).toBe(false);
    expect(allNameOnly(['**/x'])).toBe(false);
    expect(allNameOnly(['dir/'])).toBe(true);
  });
});

describe('buildFilter', () => {
  const f = (over: Partial<Parameters<typeof buildFilter>[0]>) => buildFilter({ arxignore: [], include: [], exclude: [], ...over });

  it('never syncs .arx, .env or .env.* at the top, whatever the patterns', () => {
    const filter = f({ arxignore: ['!.env'] });
    expect(filter.excludeDir('.arx')).toBe(true);
    expect(filter.excludeFile('.env')).toBe(true);
    expect(filter.excludeFile('.env.production')).toBe(true);
    expect(filter.excludeFile('symbols/.env')).toBe(false);
    expect(filter.excludeFile('.environment.json')).toBe(false);
  });

  it('name patterns match at any depth; folder patterns only folders', () => {
    const filter = f({ arxignore: ['*.json', 'node_modules/'], exclude: ['*.bak'] });
    expect(filter.excludeFile('a.json')).toBe(true);
    expect(filter.excludeFile('deep/er/a.json')).toBe(true);
    expect(filter.excludeFile('deep/a.bak')).toBe(true);
    expect(filter.excludeDir('x/node_modules')).toBe(true);
    expect(filter.excludeFile('x/node_modules')).toBe(false);
    expect(filter.excludeFile('models/a.ifc')).toBe(false);
  });

  it('offers the name rule (belowTop) only where it decides as the whole-path rules do', () => {
    const filter = f({ arxignore: ['*.bak', 'cache/', '!keep.bak'] });
    const rule = filter.belowTop!;
    for (const [path, isDir] of [['a/x.bak', false], ['a/keep.bak', false], ['a/cache', true], ['a/cache', false], ['a/b/x.json', false], ['a/.env', false]] as const) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      expect(rule.excludes(name, isDir)).toBe(isDir ? filter.excludeDir(path) : filter.excludeFile(path));
    }
    expect(f({}).belowTop?.empty).toBe(true);
    // Include patterns and patterns with a folder part look at the whole path: no name rule.
    expect(f({ include: ['*.json'] }).belowTop).toBeUndefined();
    expect(f({ arxignore: ['symbols/*.bak'] }).belowTop).toBeUndefined();
  });

  it('anchored and folder-part patterns use the whole path', () => {
    const filter = f({ arxignore: ['/top.txt', 'symbols/*.tmp.json'] });
    expect(filter.excludeFile('top.txt')).toBe(true);
    expect(filter.excludeFile('a/top.txt')).toBe(false);
    expect(filter.excludeFile('symbols/x.tmp.json')).toBe(true);
    expect(filter.excludeFile('symbols/deep/x.tmp.json')).toBe(false);
  });

  it('include patterns keep only matching files; folders that hold them survive pruning', () => {
    const filter = f({ include: ['*.json', 'models/'] });
    expect(filter.excludeFile('symbols/a.json')).toBe(false);
    expect(filter.excludeFile('symbols/a.txt')).toBe(true);
    expect(filter.excludeFile('models/big.ifc')).toBe(false);
    const entries = new Map<string, { kind: string }>([
      ['symbols', { kind: 'dir' }],
      ['symbols/deep', { kind: 'dir' }],
      ['symbols/deep/a.json', { kind: 'file' }],
      ['reports', { kind: 'dir' }],
      ['models', { kind: 'dir' }],
    ]);
    expect([...filter.unsyncedFolders(entries)]).toEqual(['reports']);
    expect(f({}).unsyncedFolders(entries).size).toBe(0);
  });
});
