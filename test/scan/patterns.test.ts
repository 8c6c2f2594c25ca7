/** Pattern checks: what a bad pattern becomes, the limits, and matching that never stalls. */
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { buildFilter } from '../../src/scan/filter.js';
import { NameMatcher } from '../../src/scan/name-matcher.js';
import { ignoreLineProblems, MAX_PATTERN_LENGTH, MAX_PATTERNS, patternListProblem, patternProblem, usableIgnoreLines } from '../../src/scan/patterns.js';

describe('patternProblem', () => {
  it('accepts what git accepts, out-of-order ranges and unclosed brackets included', () => {
    for (const p of ['*.tmp', '*[b-a]*', '[z-a]x', 'we[i', '[[:alpha:]]*', '**/cache/', '!keep.json', 'a\\', '\\#x']) expect([p, patternProblem(p)]).toEqual([p, undefined]);
  });

  it('refuses a pattern longer than the limit, by its length', () => {
    expect(patternProblem('a'.repeat(MAX_PATTERN_LENGTH))).toBeUndefined();
    expect(patternProblem('a'.repeat(MAX_PATTERN_LENGTH + 1))).toBe(`longer than ${MAX_PATTERN_LENGTH} characters`);
  });
});

describe('.arxignore lines', () => {
  it('names the line and the pattern (shortened) of each problem; blanks and comments are not patterns', () => {
    const long = 'x'.repeat(50_000);
    const problems = ignoreLineProblems(['# comment', '', '*.tmp', long]);
    expect(problems).toEqual([{ line: 4, pattern: long, reason: `longer than ${MAX_PATTERN_LENGTH} characters` }]);
    const { lines, warnings } = usableIgnoreLines(['*.tmp', long, '*.bak'], '/p/.arxignore');
    expect(lines).toEqual(['*.tmp', '*.bak']);
    expect(warnings).toEqual([`/p/.arxignore line 2: pattern "${'x'.repeat(40)}"... (50000 characters) is longer than ${MAX_PATTERN_LENGTH} characters; the line is ignored`]);
  });

  it('keeps the first patterns up to the limit and says from which line the rest is ignored', () => {
    const lines = ['# head', ...Array.from({ length: MAX_PATTERNS + 3 }, (_, i) => `f${i}`)];
    const usable = usableIgnoreLines(lines, '.arxignore');
    expect(usable.lines).toHaveLength(MAX_PATTERNS + 1);
    expect(usable.warnings).toEqual([`.arxignore: more than ${MAX_PATTERNS} patterns, from line ${MAX_PATTERNS + 2} on (3 more); they are ignored`]);
  });
});

describe('configured pattern lists', () => {
  it('name the key, the index and the pattern', () => {
    expect(patternListProblem('sync.exclude_patterns', ['*.bak', 'y'.repeat(5000)])).toBe(`sync.exclude_patterns[1]: pattern "${'y'.repeat(40)}"... (5000 characters) is longer than ${MAX_PATTERN_LENGTH} characters`);
    expect(patternListProblem('sync.include_patterns', Array(MAX_PATTERNS + 1).fill('a'))).toMatch(/more than the 10000 allowed/);
    expect(patternListProblem('sync.include_patterns', ['symbols/**'])).toBeUndefined();
  });

  it('buildFilter: a bad include or exclude pattern is a configuration error, a bad .arxignore line a warning', () => {
    const f = (over: Partial<Parameters<typeof buildFilter>[0]>) => () => buildFilter({ arxignore: [], include: [], exclude: [], ...over });
    expect(f({ exclude: ['z'.repeat(5000)], sources: { exclude: 'project (arxfile.json)' } })).toThrow(/sync\.exclude_patterns\[0\].*set in project \(arxfile\.json\)/);
    expect(f({ include: ['z'.repeat(5000)] })).toThrow(expect.objectContaining({ code: 'CONFIG_PATTERN', category: 'config' }));
    const filter = f({ arxignore: ['*.tmp', 'q'.repeat(5000)] })();
    expect(filter.warnings).toHaveLength(1);
    expect(filter.settings.arxignore).toEqual(['*.tmp']);
    expect(filter.excludeFile('a.tmp')).toBe(true);
  });
});

describe('NameMatcher', () => {
  it('follows git on out-of-order ranges (the first character stays a member), like the gitignore library', () => {
    const ref = (p: string, name: string) => ignore({ allowRelativePaths: true, ignorecase: false }).add(p).ignores(name);
    for (const p of ['*[b-a]*', '[c-a]', '[xc-a]', '[!c-a]', '[a-c]', '[\\]-a]']) {
      const m = new NameMatcher([p]);
      for (const name of ['a', 'b', 'c', 'x', 'xbx', ']', 'q']) expect([p, name, m.excludes(name, false)]).toEqual([p, name, ref(p, name)]);
    }
  });

  it('matches many stars against a long name in linear time', () => {
    const m = new NameMatcher(['*a'.repeat(2000) + '*b']);
    const start = performance.now();
    expect(m.excludes('a'.repeat(250), false)).toBe(false);
    expect(new NameMatcher(['*a*a*a*a*a*a*a*a*a*a*b']).excludes('a'.repeat(250), false)).toBe(false);
    expect(new NameMatcher(['*a*a*b*']).excludes('xxaxxaxxbxx', false)).toBe(true);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
