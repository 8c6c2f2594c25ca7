/**
 * Table-driven tests for choosing a conflict policy (conflict rules, then the
 * built-in kind of the file in "auto" mode) and for the "latest" policy.
 */
import { describe, expect, it } from 'vitest';
import { choosePolicy, fileKind, FUTURE_TOLERANCE_MS, latestSide, POLICIES, type ConflictRule, type FileKind, type Policy, type PolicySettings } from '../../src/core/conflict.js';
import type { Entry, Side } from '../../src/core/entry.js';

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

/** A rule matching paths under a folder ("models/"), or by a final suffix ("*.md"). */
function rule(pattern: string, policy: Policy): ConflictRule {
  const matches = pattern.startsWith('*') ? (p: string): boolean => p.endsWith(pattern.slice(1)) : (p: string): boolean => p.startsWith(pattern);
  return { matches, policy };
}

const auto = (...rules: ConflictRule[]): PolicySettings => ({ mode: 'auto', rules });
const manual = (...rules: ConflictRule[]): PolicySettings => ({ mode: 'manual', rules });

// ---------------------------------------------------------------------------
// fileKind
// ---------------------------------------------------------------------------

describe('fileKind', () => {
  it.each<[string, FileKind]>([
    ['symbols/door.json', 'symbol'],
    ['symbols/a/b.json', 'symbol'],
    ['symbols/x.ifc', 'symbol'],
    ['arxfile.json', 'config'],
    ['.arxignore', 'config'],
    ['rules/fire.json', 'config'],
    ['rules/sub/x.json', 'config'], // JSON anywhere under rules/
    ['rules/x.txt', 'other'],
    ['rules.json', 'other'],
    ['models/x.ifc', 'model'],
    ['models/a/b.json', 'model'],
    ['reports/x.md', 'other'],
    ['sub/.arxignore', 'other'],
    ['docs/arxfile.json', 'other'],
    ['arxfile.json.bak', 'other'],
    ['symbols-old/a.json', 'other'],
    ['modelsx/a.ifc', 'other'],
  ])('%s -> %s', (path, kind) => {
    expect(fileKind(path)).toBe(kind);
  });
});

// ---------------------------------------------------------------------------
// choosePolicy
// ---------------------------------------------------------------------------

describe('choosePolicy', () => {
  const cases: [string, string, PolicySettings, Policy, 'rule' | 'kind' | 'mode'][] = [
    // auto, built-in kinds
    ['auto: symbol -> latest', 'symbols/door.json', auto(), 'latest', 'kind'],
    ['auto: nested symbol (a .json too) -> latest', 'symbols/a/b.json', auto(), 'latest', 'kind'],
    ['auto: arxfile.json -> merge', 'arxfile.json', auto(), 'merge', 'kind'],
    ['auto: .arxignore -> merge', '.arxignore', auto(), 'merge', 'kind'],
    ['auto: rules/x.json -> merge', 'rules/fire.json', auto(), 'merge', 'kind'],
    ['auto: JSON in a folder under rules/ -> merge', 'rules/sub/x.json', auto(), 'merge', 'kind'],
    ['auto: rules/x.txt -> manual', 'rules/x.txt', auto(), 'manual', 'kind'],
    ['auto: model -> local', 'models/x.ifc', auto(), 'local', 'kind'],
    ['auto: nested model -> local', 'models/site/b.ifc', auto(), 'local', 'kind'],
    ['auto: other file -> manual', 'reports/x.md', auto(), 'manual', 'kind'],
    ['auto: a nested .arxignore is other -> manual', 'sub/.arxignore', auto(), 'manual', 'kind'],
    ['auto: a nested arxfile.json is other -> manual', 'docs/arxfile.json', auto(), 'manual', 'kind'],
    // rules come before kinds
    ['auto: a rule overrides the kind of a model', 'models/x.ifc', auto(rule('models/', 'remote')), 'remote', 'rule'],
    ['auto: a rule overrides the kind of a config file', 'arxfile.json', auto(rule('arxfile.json', 'keep-both')), 'keep-both', 'rule'],
    ['auto: a rule gives a policy to an other file', 'reports/x.md', auto(rule('*.md', 'latest')), 'latest', 'rule'],
    ['auto: first matching rule wins', 'reports/x.md', auto(rule('reports/', 'keep-both'), rule('*.md', 'latest')), 'keep-both', 'rule'],
    ['auto: first matching rule wins (earlier rule not matching)', 'notes/y.md', auto(rule('reports/', 'keep-both'), rule('*.md', 'latest'), rule('notes/', 'local')), 'latest', 'rule'],
    ['auto: no rule matching -> kind', 'symbols/a.json', auto(rule('reports/', 'keep-both'), rule('*.md', 'local')), 'latest', 'kind'],
    // manual mode
    ['manual: no rules, symbol -> manual', 'symbols/a.json', manual(), 'manual', 'mode'],
    ['manual: no rules, config -> manual', 'arxfile.json', manual(), 'manual', 'mode'],
    ['manual: no rules, model -> manual', 'models/x.ifc', manual(), 'manual', 'mode'],
    ['manual: matching rule applies', 'models/x.ifc', manual(rule('models/', 'local')), 'local', 'rule'],
    ['manual: first matching rule wins', 'symbols/a.json', manual(rule('symbols/', 'remote'), rule('*.json', 'merge')), 'remote', 'rule'],
    ['manual: non-matching rule -> manual', 'symbols/a.json', manual(rule('models/', 'local')), 'manual', 'mode'],
  ];

  it.each(cases)('%s (%s)', (_name, path, settings, policy, source) => {
    const chosen = choosePolicy(path, settings);
    expect(chosen).toEqual({ policy, source });
    expect(POLICIES).toContain(chosen.policy);
  });

  it('asks the rules about the path itself, in order, stopping at the first match', () => {
    const asked: string[] = [];
    const spy = (name: string, result: boolean, policy: Policy): ConflictRule => ({
      matches: (p) => {
        asked.push(`${name}:${p}`);
        return result;
      },
      policy,
    });
    const chosen = choosePolicy('models/x.ifc', auto(spy('r1', false, 'remote'), spy('r2', true, 'keep-both'), spy('r3', true, 'latest')));
    expect(chosen).toEqual({ policy: 'keep-both', source: 'rule' });
    expect(asked).toEqual(['r1:models/x.ifc', 'r2:models/x.ifc']);
  });

  it('knows the six policies', () => {
    expect([...POLICIES].sort()).toEqual(['keep-both', 'latest', 'local', 'manual', 'merge', 'remote']);
  });
});

// ---------------------------------------------------------------------------
// latestSide
// ---------------------------------------------------------------------------

describe('latestSide', () => {
  const NOW = 1_700_000_000_000;
  const T = NOW - 60_000; // a minute ago, whole second
  const file = (mtimeMs: number): Entry => ({ kind: 'file', size: 1, mtimeMs });
  const dir: Entry = { kind: 'dir' };

  const cases: [string, Entry | undefined, Entry | undefined, number, Side | 'undecided'][] = [
    ['local newer', file(T + 5), file(T), 1, 'local'],
    ['remote newer', file(T), file(T + 5), 1, 'remote'],
    ['same mtime', file(T), file(T), 1, 'undecided'],
    ['1 ms apart at 1 ms precision', file(T + 200), file(T + 201), 1, 'remote'],
    ['10.2 s and 10.9 s at 1000 ms precision are equal', file(T + 200), file(T + 900), 1000, 'undecided'],
    ['10.9 s and 11.0 s at 1000 ms precision differ', file(T + 900), file(T + 1000), 1000, 'remote'],
    ['sub-second local vs truncated remote at 1000 ms are equal', file(T + 999), file(T), 1000, 'undecided'],
    ['1.5 s apart at 2000 ms precision are equal', file(T), file(T + 1500), 2000, 'undecided'],
    ['3 s apart at 2000 ms precision differ', file(T + 3000), file(T), 2000, 'local'],
    ['local a folder', dir, file(T), 1, 'undecided'],
    ['remote a folder', file(T), dir, 1, 'undecided'],
    ['both folders', dir, dir, 1, 'undecided'],
    ['local missing', undefined, file(T), 1, 'undecided'],
    ['remote missing', file(T), undefined, 1, 'undecided'],
    ['both missing', undefined, undefined, 1, 'undecided'],
    ['local slightly in the future (within tolerance) still wins', file(NOW + 1_000), file(T), 1, 'local'],
    ['local exactly at the future tolerance still wins', file(NOW + FUTURE_TOLERANCE_MS), file(T), 1, 'local'],
    ['local 1 ms beyond the future tolerance', file(NOW + FUTURE_TOLERANCE_MS + 1), file(T), 1, 'undecided'],
    ['remote beyond the future tolerance', file(T), file(NOW + FUTURE_TOLERANCE_MS + 1), 1, 'undecided'],
    ['remote exactly at the future tolerance still wins', file(T), file(NOW + FUTURE_TOLERANCE_MS), 1000, 'remote'],
    ['remote in the far future though local is older', file(T - 10_000), file(NOW + 86_400_000), 1, 'undecided'],
  ];

  it.each(cases)('%s', (_name, local, remote, precision, expected) => {
    const result = latestSide(local, remote, NOW, precision);
    if (expected === 'undecided') {
      expect(result).not.toHaveProperty('winner');
      expect(result).toHaveProperty('undecided');
      expect(typeof (result as { undecided: unknown }).undecided).toBe('string');
      expect((result as { undecided: string }).undecided.length).toBeGreaterThan(0);
    } else {
      expect(result).toEqual({ winner: expected });
    }
  });

  it('tolerates a few minutes of clock skew, not hours', () => {
    expect(FUTURE_TOLERANCE_MS).toBeGreaterThan(0);
    expect(FUTURE_TOLERANCE_MS).toBeLessThanOrEqual(60 * 60 * 1000);
  });
});
