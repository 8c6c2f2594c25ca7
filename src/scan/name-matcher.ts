/**
 * A fast matcher for gitignore patterns that only look at a name (no '/'
 * except a trailing one): each pattern compiles to one regular expression and
 * the last matching pattern decides, as in gitignore. Used only where walks
 * never descend into excluded folders, so a name's folders are already known
 * to be synced.
 */
import picomatch from 'picomatch';

interface Rule {
  test: (name: string) => boolean;
  negated: boolean;
  dirOnly: boolean;
}

/** Can every pattern be decided on a name alone? */
export function allNameOnly(patterns: string[]): boolean {
  return patterns.every((raw) => {
    const p = cleanPattern(raw);
    return p === undefined || !p.body.includes('/');
  });
}

/** gitignore line -> body, negation, folder-only; undefined for blanks and comments. */
function cleanPattern(raw: string): { body: string; negated: boolean; dirOnly: boolean } | undefined {
  let p = raw.replace(/(?<!\\)\s+$/, '');
  if (p === '' || p.startsWith('#')) return undefined;
  let negated = false;
  if (p.startsWith('!')) {
    negated = true;
    p = p.slice(1);
  } else if (p.startsWith('\\!') || p.startsWith('\\#')) {
    p = p.slice(1);
  }
  let dirOnly = false;
  while (p.endsWith('/')) {
    dirOnly = true;
    p = p.slice(0, -1);
  }
  p = p.replace(/\\(\s)/g, '$1');
  return p === '' ? undefined : { body: p, negated, dirOnly };
}

export class NameMatcher {
  private readonly rules: Rule[];

  constructor(patterns: string[]) {
    this.rules = [];
    for (const raw of patterns) {
      const p = cleanPattern(raw);
      if (p === undefined) continue;
      // A leading '!' means negation to picomatch; here it is a literal character.
      const glob = p.body.startsWith('!') ? `\\${p.body}` : p.body;
      const test = picomatch(glob, { dot: true, nobrace: true, noextglob: true });
      this.rules.push({ test, negated: p.negated, dirOnly: p.dirOnly });
    }
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** Is a file (or a folder, with isDir) of this name excluded? */
  excludes(name: string, isDir: boolean): boolean {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i]!;
      if (r.dirOnly && !isDir) continue;
      if (r.test(name)) return !r.negated;
    }
    return false;
  }
}
