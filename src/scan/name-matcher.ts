/**
 * A fast matcher for gitignore patterns that only look at a name (no '/'
 * except a trailing one): the last matching pattern decides, as in gitignore.
 * Used only where walks never descend into excluded folders, so a name's
 * folders are already known to be synced. Case-sensitive, like git on Linux.
 *
 * Invariant: matching takes time proportional to (pattern length x name
 * length), whatever the pattern (no backtracking regular expression for
 * patterns with many stars: a pattern arriving in `.arxignore` cannot stall
 * a sync). Classes follow git's wildmatch: an out-of-order range such as
 * `[c-a]` keeps only its first character.
 */

type Token =
  | { t: 'lit'; c: number }
  | { t: 'one' }
  | { t: 'star' }
  | { t: 'class'; negate: boolean; chars: Set<number>; ranges: [number, number][] };

/** One name pattern -> tokens; undefined when an unclosed class makes it match nothing (as in git). */
function tokenize(glob: string): Token[] | undefined {
  const out: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      out.push({ t: 'lit', c: glob.charCodeAt(++i) });
    } else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out.push({ t: 'star' });
    } else if (c === '?') {
      out.push({ t: 'one' });
    } else if (c === '[') {
      const end = classEnd(glob, i);
      if (end < 0) return undefined;
      out.push(classToken(glob.slice(i + 1, end)));
      i = end;
    } else {
      out.push({ t: 'lit', c: glob.charCodeAt(i) });
    }
  }
  return out;
}

/** The inside of a bracket expression: members and ranges, as git's wildmatch reads them. */
function classToken(body: string): Token {
  let negate = false;
  if (body.startsWith('!') || body.startsWith('^')) {
    negate = true;
    body = body.slice(1);
  }
  const chars = new Set<number>();
  const ranges: [number, number][] = [];
  let prev = -1;
  for (let i = 0; i < body.length; i++) {
    let c = body.charCodeAt(i);
    if (body[i] === '\\' && i + 1 < body.length) c = body.charCodeAt(++i);
    else if (body[i] === '-' && prev >= 0 && i + 1 < body.length) {
      let to = body.charCodeAt(++i);
      if (body[i] === '\\' && i + 1 < body.length) to = body.charCodeAt(++i);
      // An out-of-order range adds nothing; its first character is already a member.
      if (prev <= to) ranges.push([prev, to]);
      prev = -1;
      continue;
    }
    chars.add(c);
    prev = c;
  }
  return { t: 'class', negate, chars, ranges };
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

function matchesOne(tok: Token, c: number): boolean {
  switch (tok.t) {
    case 'lit':
      return tok.c === c;
    case 'one':
      return true;
    case 'star':
      return false;
    case 'class': {
      const member = tok.chars.has(c) || tok.ranges.some(([lo, hi]) => c >= lo && c <= hi);
      return member !== tok.negate;
    }
  }
}

/**
 * Does `name` match the tokens? Greedy, retrying only from the last star:
 * enough for patterns whose stars match any run of characters (no '/' in a name).
 */
function matchTokens(tokens: readonly Token[], name: string): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < name.length) {
    const tok = tokens[p];
    if (tok?.t === 'star') {
      starP = p++;
      starI = i;
    } else if (tok !== undefined && matchesOne(tok, name.charCodeAt(i))) {
      p++;
      i++;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else return false;
  }
  while (tokens[p]?.t === 'star') p++;
  return p === tokens.length;
}

/** gitignore glob (one name) -> a test of names. */
export function compileGlob(glob: string): (name: string) => boolean {
  const tokens = tokenize(glob);
  if (tokens === undefined) return () => false;
  if (tokens.every((t) => t.t === 'lit')) {
    const literal = String.fromCharCode(...tokens.map((t) => (t as { c: number }).c));
    return (name) => name === literal;
  }
  // `*.tmp`-style suffix patterns are the common case: no loop needed.
  if (tokens[0]!.t === 'star' && tokens.slice(1).every((t) => t.t === 'lit')) {
    const suffix = String.fromCharCode(...tokens.slice(1).map((t) => (t as { c: number }).c));
    return (name) => name.endsWith(suffix);
  }
  return (name) => matchTokens(tokens, name);
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
    // POSIX classes ([[:alpha:]]) are left to the full gitignore rules.
    return p === undefined || (!p.body.includes('/') && !p.body.includes('[:'));
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
      this.rules.push({ test: compileGlob(p.body), negated: p.negated, dirOnly: p.dirOnly });
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
