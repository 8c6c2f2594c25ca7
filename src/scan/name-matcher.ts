/**
 * A fast matcher for gitignore patterns that only look at a name (no '/'
 * except a trailing one): each pattern compiles to one regular expression and
 * the last matching pattern decides, as in gitignore. Used only where walks
 * never descend into excluded folders, so a name's folders are already known
 * to be synced. Case-sensitive, like git on Linux.
 */

/** gitignore glob (one name) -> anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[++i]!);
    } else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = classEnd(glob, i);
      // An unclosed bracket makes the whole pattern match nothing (as in git).
      if (end < 0) return /(?!)/;
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${classBody(body)}]`;
      i = end;
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`);
}

/** The inside of a bracket expression, with regex-special characters escaped (ranges kept). */
function classBody(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    let c = body[i]!;
    if (c === '\\' && i + 1 < body.length) c = body[++i]!;
    else if (c === '-') {
      out += '-';
      continue;
    }
    out += c === '\\' || c === ']' || c === '[' || c === '^' || c === '-' ? `\\${c}` : c;
  }
  return out;
}

/** Index of the ']' closing the class that opens at `start`, or -1. */
function classEnd(glob: string, start: number): number {
  let i = start + 1;
  if (glob[i] === '!' || glob[i] === '^') i++;
  if (glob[i] === ']') i++;
  for (; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']') return i;
  }
  return -1;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? `\\${c}` : c;
}

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
  return p === '' ? undefined : { body: p, negated, dirOnly };
}

export class NameMatcher {
  private readonly rules: Rule[];

  constructor(patterns: string[]) {
    this.rules = [];
    for (const raw of patterns) {
      const p = cleanPattern(raw);
      if (p === undefined) continue;
      const re = globToRegExp(p.body);
      this.rules.push({ test: (name) => re.test(name), negated: p.negated, dirOnly: p.dirOnly });
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
