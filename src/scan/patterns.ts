/**
 * Checks of gitignore patterns before they are compiled: `.arxignore` lines,
 * `sync.include_patterns`, `sync.exclude_patterns` and
 * `sync.conflict_rules[].pattern`. A pattern that passes compiles in both
 * matchers (the gitignore library and the name matcher) without throwing.
 *
 * Limits: a pattern (any `.arxignore` line) is at most MAX_PATTERN_LENGTH
 * characters; a list or file holds at most MAX_PATTERNS patterns (blank
 * lines and comments do not count).
 */
import ignore from 'ignore';
import { allNameOnly, NameMatcher } from './name-matcher.js';

export const MAX_PATTERN_LENGTH = 4096;
export const MAX_PATTERNS = 10_000;

/** A pattern for a message: quoted, and cut short when long (with its length). */
export function showPattern(p: string): string {
  if (p.length <= 60) return JSON.stringify(p);
  return `${JSON.stringify(p.slice(0, 40))}... (${p.length} characters)`;
}

/** Is this `.arxignore` line a pattern (not blank, not a comment)? */
export function isPatternLine(line: string): boolean {
  const t = line.replace(/(?<!\\)\s+$/, '');
  return t !== '' && !t.startsWith('#');
}

/** Why `p` cannot be used as a pattern, or undefined when it can. */
export function patternProblem(p: string): string | undefined {
  if (p.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    // Both matchers compile lazily or eagerly: one test each makes sure they are built.
    ignore({ allowRelativePaths: true, ignorecase: false }).add([p]).ignores('x');
    if (allNameOnly([p])) new NameMatcher([p]).excludes('x', false);
  } catch (err) {
    return `not a valid pattern (${err instanceof Error ? err.message.slice(0, 120) : String(err)})`;
  }
  return undefined;
}

export interface LineProblem {
  /** 1-based line number. */
  line: number;
  pattern: string;
  reason: string;
}

/**
 * The problems of an ignore file's lines: each bad pattern, and the lines
 * beyond the MAX_PATTERNS-th pattern.
 */
export function ignoreLineProblems(lines: readonly string[]): LineProblem[] {
  const problems: LineProblem[] = [];
  let count = 0;
  lines.forEach((raw, i) => {
    if (raw.length > MAX_PATTERN_LENGTH) {
      problems.push({ line: i + 1, pattern: raw, reason: `longer than ${MAX_PATTERN_LENGTH} characters` });
      return;
    }
    if (!isPatternLine(raw)) return;
    if (++count > MAX_PATTERNS) {
      problems.push({ line: i + 1, pattern: raw, reason: `more than ${MAX_PATTERNS} patterns` });
      return;
    }
    const reason = patternProblem(raw);
    if (reason !== undefined) problems.push({ line: i + 1, pattern: raw, reason });
  });
  return problems;
}

/**
 * One line per problem, `<label> line 3: pattern "*[" is <reason>`; the lines
 * past the limit are summed up in one. `suffix` ends each pattern's line.
 */
export function describeLineProblems(label: string, problems: readonly LineProblem[], suffix = ''): string[] {
  const overLimit = problems.filter((p) => p.reason.startsWith('more than'));
  const out = problems.filter((p) => !overLimit.includes(p)).map((p) => `${label} line ${p.line}: pattern ${showPattern(p.pattern)} is ${p.reason}${suffix}`);
  if (overLimit.length > 0) out.push(`${label}: more than ${MAX_PATTERNS} patterns, from line ${overLimit[0]!.line} on (${overLimit.length} more)${suffix ? '; they are ignored' : ''}`);
  return out;
}

/**
 * The usable lines of an ignore file: bad patterns and patterns past the limit
 * are dropped (gitignore's way: a bad line matches nothing), each named in a warning.
 */
export function usableIgnoreLines(lines: readonly string[], label: string): { lines: string[]; warnings: string[] } {
  const problems = ignoreLineProblems(lines);
  if (problems.length === 0) return { lines: [...lines], warnings: [] };
  const bad = new Set(problems.map((p) => p.line - 1));
  return { lines: lines.filter((_, i) => !bad.has(i)), warnings: describeLineProblems(label, problems, '; the line is ignored') };
}

/**
 * The first problem of a list of patterns from a configuration file, as
 * `<key>[2]: pattern "..." is <reason>`, or undefined when all are usable.
 */
export function patternListProblem(key: string, patterns: readonly string[]): string | undefined {
  if (patterns.length > MAX_PATTERNS) return `${key}: ${patterns.length} patterns, more than the ${MAX_PATTERNS} allowed`;
  for (let i = 0; i < patterns.length; i++) {
    const reason = patternProblem(patterns[i]!);
    if (reason !== undefined) return `${key}[${i}]: pattern ${showPattern(patterns[i]!)} is ${reason}`;
  }
  return undefined;
}
