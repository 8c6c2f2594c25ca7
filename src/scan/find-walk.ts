/**
 * The fast walk of a local folder: one GNU `find` process lists the tree (on
 * Linux), read as it comes (see find-listing.ts). Where find is missing,
 * different (BSD, Windows) or fails (an unreadable folder, a file vanishing
 * mid-walk), the walk in Node runs instead, and reports what it could not read.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { isPlainPath } from '../util/path-bytes.js';
import { FindListingParser, findFormat } from './find-listing.js';
import { walkCompact, walkCompactAside, type CompactWalk, type WalkOptions } from './walk.js';

/** GNU find is part of every Linux system arx runs on; elsewhere `find` may be another program. */
export const FIND_WALKS = process.platform === 'linux';

/** A name as a literal -path pattern (fnmatch's special characters escaped). */
function literalPattern(name: string): string {
  return name.replace(/[*?[\]\\]/g, '\\$&');
}

/** The walk by find, or undefined when find did not list everything. */
export function findWalk(root: string, opts: WalkOptions, identity: boolean): Promise<CompactWalk | undefined> {
  const under = opts.under;
  // (A working folder is a string for spawn: one that is not UTF-8 is walked in Node.)
  if (!FIND_WALKS || (under !== undefined && !isPlainPath(under))) return Promise.resolve(undefined);
  const parser = new FindListingParser(opts.filter, { prefix: under ?? '', identity, known: opts.known });
  // Top-level names never walked are pruned: find does not even enter them.
  const prunes = under === undefined ? [...(opts.skipTopLevel ?? [])].flatMap((n) => ['-path', `./${literalPattern(n)}`, '-prune', '-o']) : [];
  return new Promise((resolve) => {
    let settled = false;
    const settle = (walk: CompactWalk | undefined): void => {
      if (!settled) resolve(walk);
      settled = true;
    };
    // From inside the folder (-H: the folder itself may be a symbolic link), so paths need no prefix stripped.
    let child: ChildProcessByStdio<null, Readable, null>;
    try {
      child = spawn('find', ['-H', '.', '-mindepth', '1', ...prunes, '-printf', findFormat(identity)], {
        cwd: under === undefined ? root : `${root}/${under}`,
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      // A folder that is not one (a file, a loop of links) fails at once: the walk in Node reports it.
      return settle(undefined);
    }
    child.on('error', () => settle(undefined));
    child.stdout.on('data', (chunk: Buffer) => parser.feed(chunk));
    child.on('close', (code, signal) => settle(parser.finish(code === 0 && signal === null)));
  });
}

/**
 * Walk a local folder, by find where it works, else in Node (on another
 * thread when `aside`). find's output is read on this thread as it comes,
 * between the caller's other work: cheaper than a thread of its own.
 */
export async function walkLocal(root: string, opts: WalkOptions, identity: boolean, aside: boolean): Promise<CompactWalk> {
  const found = await findWalk(root, opts, identity);
  if (found !== undefined) return found;
  return aside ? walkCompactAside(root, opts, identity) : walkCompact(root, opts, identity);
}
