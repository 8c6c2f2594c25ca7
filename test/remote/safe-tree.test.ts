/** SafeTree and the local remote on real folders: no link below the root is ever followed, no descriptor leaks. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArxError } from '../../src/errors.js';
import { LocalFolderRemote } from '../../src/remote/local/local-remote.js';
import { haveProcFd, MAX_HELD, SafeTree } from '../../src/remote/local/safe-tree.js';

let top: string;
let root: string;
let outside: string;

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'arx-safe-tree-'));
  root = join(top, 'root');
  outside = join(top, 'outside');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'theirs');
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

/** Descriptors this process has open. */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe.each([
  ['descriptors', false],
  ['lstat checks', true],
])('SafeTree (%s)', (_name, fallback) => {
  it('names a folder below the root, where operations land in that folder', () => {
    const tree = new SafeTree(root, { fallback });
    const f = tree.parentOf('a/b/new.txt', true);
    writeFileSync(`${f.dir}/new.txt`, 'x', { flag: 'wx' });
    f.recheck();
    f.release();
    expect(readFileSync(join(root, 'a/b/new.txt'), 'utf8')).toBe('x');
    tree.close();
  });

  it('refuses a link at any depth below the root with SYMLINK_IN_PATH naming it', () => {
    symlinkSync(outside, join(root, 'top-link'));
    symlinkSync(outside, join(root, 'a', 'deep-link'));
    const tree = new SafeTree(root, { fallback });
    expect(codeOf(() => tree.parentOf('top-link/secret.txt', true))).toBe('SYMLINK_IN_PATH');
    expect(codeOf(() => tree.parentOf('a/deep-link/secret.txt', false))).toBe('SYMLINK_IN_PATH');
    expect(codeOf(() => tree.folder('a/deep-link', true))).toBe('SYMLINK_IN_PATH');
    try {
      tree.parentOf('a/deep-link/x/y.txt', true);
    } catch (err) {
      expect((err as Error).message).toContain(`${join(root, 'a', 'deep-link')} is a symbolic link`);
    }
    tree.close();
  });

  it('a missing folder or a file on the way is the system error (ENOENT, ENOTDIR)', () => {
    writeFileSync(join(root, 'a', 'file'), '');
    const tree = new SafeTree(root, { fallback });
    expect(codeOf(() => tree.parentOf('missing/x.txt', true))).toBe('ENOENT');
    expect(codeOf(() => tree.parentOf('a/file/x.txt', true))).toBe('ENOTDIR');
    tree.close();
  });

  it('the root itself may be a link (the user chose it)', () => {
    symlinkSync(root, join(top, 'root-link'));
    const tree = new SafeTree(join(top, 'root-link'), { fallback });
    const f = tree.parentOf('a/b/x.txt', true);
    writeFileSync(`${f.dir}/x.txt`, 'ok');
    f.release();
    expect(existsSync(join(root, 'a/b/x.txt'))).toBe(true);
    tree.close();
  });

  it('a folder swapped for a link after it was used fails the next write into it', () => {
    const tree = new SafeTree(root, { fallback });
    tree.parentOf('a/b/one.txt', true).release();
    renameSync(join(root, 'a'), join(root, 'a-aside'));
    symlinkSync(outside, join(root, 'a'));
    expect(codeOf(() => tree.parentOf('a/b/two.txt', true))).toBe('SYMLINK_IN_PATH');
    tree.close();
  });
});

describe.runIf(haveProcFd())('SafeTree descriptors', () => {
  it('a held folder stays the folder it was, whatever is swapped in at its name meanwhile', () => {
    const tree = new SafeTree(root);
    const f = tree.parentOf('a/b/late.txt', true);
    renameSync(join(root, 'a'), join(root, 'a-aside'));
    mkdirSync(join(outside, 'b'));
    symlinkSync(outside, join(root, 'a'));
    writeFileSync(`${f.dir}/late.txt`, 'inside', { flag: 'wx' });
    f.release();
    expect(readFileSync(join(root, 'a-aside/b/late.txt'), 'utf8')).toBe('inside');
    expect(readdirSync(join(outside, 'b'))).toEqual([]);
    tree.close();
  });

  it(`keeps at most ${MAX_HELD} idle folders open and closes every one at the end`, () => {
    const before = openFds();
    const tree = new SafeTree(root);
    for (let i = 0; i < MAX_HELD * 3; i++) mkdirSync(join(root, 'a', `d${i}`));
    for (let i = 0; i < MAX_HELD * 3; i++) tree.parentOf(`a/d${i}/f.txt`, i % 2 === 0).release();
    expect(tree.openCount).toBeLessThanOrEqual(MAX_HELD + 1);
    expect(openFds() - before).toBeLessThanOrEqual(MAX_HELD + 1);
    tree.close();
    expect(tree.openCount).toBe(0);
    expect(openFds()).toBe(before);
  });

  it('a folder held by an operation is not closed under it (numbers are reused), and closes once released', () => {
    const before = openFds();
    const tree = new SafeTree(root);
    const held = tree.parentOf('a/b/x.txt', true);
    for (let i = 0; i < MAX_HELD * 2; i++) {
      mkdirSync(join(root, `e${i}`));
      tree.parentOf(`e${i}/f.txt`, true).release();
    }
    tree.forget('a');
    writeFileSync(`${held.dir}/x.txt`, 'still the same folder');
    expect(readFileSync(join(root, 'a/b/x.txt'), 'utf8')).toBe('still the same folder');
    held.release();
    tree.close();
    expect(openFds()).toBe(before);
  });
});

describe('the local remote', () => {
  it('after a swap of a folder for a link, writes, deletions and reads there fail by name and nothing outside changes; close leaves no descriptor', async () => {
    const before = openFds();
    const remote = new LocalFolderRemote(root, { writer: 'test' });
    await remote.write('a/b/one.txt', Buffer.from('1'), { mtimeMs: Date.now() });
    renameSync(join(root, 'a'), join(root, 'a-aside'));
    mkdirSync(join(outside, 'b'));
    writeFileSync(join(outside, 'b', 'one.txt'), 'theirs');
    symlinkSync(outside, join(root, 'a'));
    for (const op of [
      () => remote.write('a/b/two.txt', Buffer.from('2'), { mtimeMs: Date.now() }),
      () => remote.remove('a/b/one.txt'),
      () => remote.mkdir('a/b/c'),
      () => remote.rename('a/b/one.txt', 'moved.txt'),
      () => remote.readAll('a/b/one.txt'),
    ]) {
      const err = await op().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ArxError);
      expect((err as ArxError).code).toBe('SYMLINK_IN_PATH');
      expect((err as ArxError).message).toContain(join(root, 'a/b'));
    }
    expect(readdirSync(join(outside, 'b'))).toEqual(['one.txt']);
    expect(readFileSync(join(outside, 'b', 'one.txt'), 'utf8')).toBe('theirs');
    expect(existsSync(join(root, 'moved.txt'))).toBe(false);
    await remote.close();
    expect(remote.heldFolders).toBe(0);
    expect(openFds()).toBe(before);
  });

  it('a file that is a link is never read or hashed through', async () => {
    const remote = new LocalFolderRemote(root, { writer: 'test' });
    symlinkSync(join(outside, 'secret.txt'), join(root, 'a', 'looks-like-a-file.txt'));
    const file = 'a/looks-like-a-file.txt';
    for (const op of [() => remote.readAll(file), () => remote.hash(file), () => remote.read(file), () => remote.openSource(file)]) {
      const err = await op().then(() => undefined, (e: unknown) => e);
      expect((err as ArxError).code).toBe('SYMLINK_IN_PATH');
    }
    await remote.close();
  });
});
