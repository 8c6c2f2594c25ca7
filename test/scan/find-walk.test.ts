/** The project folder listed by GNU find: exactly what the walk in Node sees, or nothing (so the caller falls back to it). */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFilter } from '../../src/scan/filter.js';
import { findWalk, walkLocal } from '../../src/scan/find-walk.js';
import { compactToResult, walkCompact, type CompactWalk, type WalkOptions } from '../../src/scan/walk.js';
import { tempDir } from '../helpers/cli.js';

const filter = buildFilter({ arxignore: ['node_modules/', '*.log'], include: [], exclude: [], maxFileSize: 100 });
const SKIP = new Set(['.arx']);
const UNICODE = 'hello? sausage/êé/Hello, 世界.json';

function put(root: string, rel: string, content: string | number = 'x'): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), typeof content === 'number' ? Buffer.alloc(content, 1) : content);
}

/** touch -d @seconds.nanoseconds: a time Node's utimes cannot set (it keeps microseconds). */
function touchAt(path: string, seconds: string): void {
  const r = spawnSync('touch', ['-h', '-d', `@${seconds}`, path]);
  if (r.status !== 0) throw new Error(`touch failed: ${r.stderr.toString()}`);
}

let fifoMade = false;

/** Every kind of thing a project folder may hold. */
function trickyTree(): string {
  const root = tempDir('arx-findwalk-');
  put(root, 'top.json', '{}');
  put(root, 'empty.txt', '');
  mkdirSync(join(root, 'empty-folder'));
  put(root, 'with space/inner file.json');
  put(root, `quote's "double"/$(x).json`);
  put(root, '`backtick` & ; | <>.json');
  put(root, 'line\nbreak.json');
  put(root, 'folder\nwith newline/in.json');
  put(root, UNICODE);
  put(root, 'emoji 😀/ü.ifc');
  put(root, 'a/b/c/d/deep.json');
  put(root, 'a/b/c/sibling.json');
  put(root, 'weird[*?]\\name.json');
  put(root, ' leading and trailing space ');
  put(root, '-starts-with-dash');
  // Temporaries: reported, never entered.
  put(root, '.arx-tmp-w-1-2');
  put(root, '.arx-tmp-d-1-2/inside.json');
  put(root, 'a/.arx-tmp-nested-1-2');
  // Special files: set aside.
  symlinkSync('top.json', join(root, 'link-to-file'));
  symlinkSync('a', join(root, 'link-to-folder'));
  symlinkSync('nowhere', join(root, 'a/dangling'));
  fifoMade = spawnSync('mkfifo', [join(root, 'a/b/fifo')]).status === 0;
  // arx's own folder (skipped at the top only) and a .env (always excluded by the filter).
  put(root, '.arx/state.db', 'db');
  put(root, '.arx/backups/set/x.json');
  put(root, 'sub/.arx/kept.json');
  put(root, '.env', 'SECRET=1');
  // Left out by the filter.
  put(root, 'node_modules/pkg/index.js');
  put(root, 'a/node_modules/x.js');
  put(root, 'node_modules.json');
  put(root, 'run.log');
  put(root, 'a/b/debug.log');
  put(root, 'logs.log/inner.json');
  put(root, 'node_modules/.arx-tmp-hidden-1-2');
  // Too large for maxFileSize (100), and one just at it.
  put(root, 'big.ifc', 200);
  put(root, 'a/b/big2.ifc', 101);
  put(root, 'exactly100.ifc', 100);
  // Top-level names that look like patterns to find's -path.
  put(root, 'we[ir]d*/in.json');
  put(root, 'weid-other/in.json');
  put(root, 'werd.json');
  // Sub-millisecond times.
  put(root, 'times/nanos.json');
  touchAt(join(root, 'times/nanos.json'), '1700000000.123456789');
  put(root, 'times/one-nano.json');
  touchAt(join(root, 'times/one-nano.json'), '1700000000.000000001');
  put(root, 'times/utimes.json');
  utimesSync(join(root, 'times/utimes.json'), 1_600_000_000.987654, 1_600_000_000.5);
  put(root, 'times/whole.json');
  touchAt(join(root, 'times/whole.json'), '1700000000');
  return root;
}

type Normal = { entries: [string, unknown][]; unreadable: string[]; links: string[]; special: string[]; temporaries: string[]; tooLarge: string[] };

/** A walk in a form to compare: entries and problem lists sorted by path. */
function normal(c: CompactWalk): Normal {
  const r = compactToResult(c);
  const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    entries: [...r.entries].sort((a, b) => byPath(a[0], b[0])),
    unreadable: [...r.unreadable].sort(byPath),
    links: [...r.links].sort(byPath),
    special: [...r.special].sort(byPath),
    temporaries: [...r.temporaries].sort(byPath),
    tooLarge: [...r.tooLarge].sort(byPath),
  };
}

/** find's walk, checked to be exactly the Node walk's. */
async function agreed(root: string, opts: WalkOptions, identity = true): Promise<Normal> {
  const found = await findWalk(root, opts, identity);
  expect(found, 'find listed the folder').toBeDefined();
  const viaFind = normal(found!);
  expect(viaFind).toStrictEqual(normal(walkCompact(root, opts, identity)));
  expect(found!.stride).toBe(identity ? 5 : 3);
  return viaFind;
}

function paths(n: Normal): string[] {
  return n.entries.map((e) => e[0]);
}

describe.runIf(process.platform === 'linux')('find walk of the project folder', () => {
  const restore: (() => void)[] = [];
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });

  it('sees exactly what the Node walk sees, with the sync filter', async () => {
    const root = trickyTree();
    const w = await agreed(root, { filter, skipTopLevel: SKIP });
    const listed = paths(w);
    for (const p of ['top.json', 'empty.txt', 'empty-folder', 'with space/inner file.json', `quote's "double"/$(x).json`, 'line\nbreak.json', 'folder\nwith newline/in.json', UNICODE, 'a/b/c/d/deep.json', 'weird[*?]\\name.json', ' leading and trailing space ', '-starts-with-dash', 'sub/.arx/kept.json', 'node_modules.json', 'exactly100.ifc', 'we[ir]d*/in.json', 'weid-other/in.json']) {
      expect(listed, p).toContain(p);
    }
    for (const p of ['.arx', '.arx/state.db', '.env', 'node_modules', 'node_modules/pkg/index.js', 'a/node_modules', 'run.log', 'a/b/debug.log', 'logs.log', 'logs.log/inner.json', '.arx-tmp-d-1-2/inside.json', 'big.ifc']) {
      expect(listed, p).not.toContain(p);
    }
    expect(w.temporaries).toEqual(['.arx-tmp-d-1-2', '.arx-tmp-w-1-2', 'a/.arx-tmp-nested-1-2']);
    expect(w.special).toEqual(fifoMade ? ['a/b/fifo'] : []);
    expect(w.links).toEqual(['a/dangling', 'link-to-file', 'link-to-folder']);
    expect(w.tooLarge).toEqual(['a/b/big2.ifc', 'big.ifc']);
    expect(w.unreadable).toEqual([]);
    const top = w.entries.find((e) => e[0] === 'top.json')![1];
    const st = lstatSync(join(root, 'top.json'));
    expect(top).toStrictEqual({ kind: 'file', size: 2, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: undefined });
    expect(w.entries.find((e) => e[0] === 'empty-folder')![1]).toStrictEqual({ kind: 'dir', size: 0, mtimeMs: 0 });
  });

  it('sees exactly what the Node walk sees without a filter, leaving out arx\'s own folder (a literal name, not a pattern)', async () => {
    const root = trickyTree();
    const w = await agreed(root, { skipTopLevel: new Set(['.arx', 'we[ir]d*']) });
    const listed = paths(w);
    for (const p of ['.env', 'node_modules/pkg/index.js', 'run.log', 'logs.log/inner.json', 'big.ifc', 'sub/.arx/kept.json', 'weid-other/in.json', 'werd.json']) expect(listed, p).toContain(p);
    for (const p of ['.arx', '.arx/state.db', 'we[ir]d*', 'we[ir]d*/in.json']) expect(listed, p).not.toContain(p);
    expect(w.tooLarge).toEqual([]);
    expect(w.temporaries).toContain('node_modules/.arx-tmp-hidden-1-2');
    // Without skipTopLevel, .arx is walked like any folder.
    expect(paths(await agreed(root, {}))).toContain('.arx/backups/set/x.json');
  });

  it('sees exactly what the Node walk sees without identity (no ctime, no inode)', async () => {
    const root = trickyTree();
    for (const opts of [{ filter, skipTopLevel: SKIP }, {}]) {
      const w = await agreed(root, opts, false);
      const top = w.entries.find((e) => e[0] === 'top.json')![1];
      expect(top).toStrictEqual({ kind: 'file', size: 2, mtimeMs: lstatSync(join(root, 'top.json')).mtimeMs, hash: undefined });
    }
  });

  it('walks only a subfolder when asked, with paths still relative to the project', async () => {
    const root = trickyTree();
    for (const under of ['a', 'a/b', 'hello? sausage', 'folder\nwith newline', 'empty-folder', 'times']) {
      for (const opts of [{ filter, skipTopLevel: SKIP, under }, { under, skipTopLevel: SKIP }]) {
        const w = await agreed(root, opts);
        for (const p of [...paths(w), ...w.links, ...w.special, ...w.temporaries, ...w.tooLarge]) expect(p.startsWith(`${under}/`), p).toBe(true);
      }
    }
    const a = await agreed(root, { filter, under: 'a' });
    expect(paths(a)).toEqual(['a/b', 'a/b/c', 'a/b/c/d', 'a/b/c/d/deep.json', 'a/b/c/sibling.json']);
    expect(a.tooLarge).toEqual(['a/b/big2.ifc']);
    expect(a.temporaries).toEqual(['a/.arx-tmp-nested-1-2']);
    // A subfolder that does not exist (any more) holds nothing.
    const gone = await walkLocal(root, { filter, under: 'no/such/folder' }, true, false);
    expect(normal(gone)).toStrictEqual(normal(walkCompact(root, { filter, under: 'no/such/folder' }, true)));
    expect(gone.paths).toEqual([]);
    expect(gone.unreadable).toEqual([]);
  });

  it('gives mtimes and ctimes bit-identical to lstat, nanoseconds included', async () => {
    const root = trickyTree();
    const w = await agreed(root, { under: 'times' });
    expect(w.entries.length).toBe(4);
    for (const [p, e] of w.entries) {
      const st = lstatSync(join(root, p));
      const f = e as { mtimeMs: number; ctimeMs: number; ino: number };
      expect(Object.is(f.mtimeMs, st.mtimeMs), `${p}: ${f.mtimeMs} vs ${st.mtimeMs}`).toBe(true);
      expect(Object.is(f.ctimeMs, st.ctimeMs), p).toBe(true);
      expect(f.ino).toBe(st.ino);
    }
    const nanos = w.entries.find((e) => e[0] === 'times/nanos.json')![1] as { mtimeMs: number };
    expect(nanos.mtimeMs).toBe(1700000000000 + 123456789 / 1e6);
    expect(nanos.mtimeMs % 1).not.toBe(0);
  });

  it('lists a project folder that is a symbolic link through the link, as the Node walk does', async () => {
    const root = trickyTree();
    const link = join(tempDir('arx-findwalk-link-'), 'project');
    symlinkSync(root, link);
    const w = await agreed(link, { filter, skipTopLevel: SKIP });
    expect(w).toStrictEqual(await agreed(root, { filter, skipTopLevel: SKIP }));
    expect(paths(w)).toContain(UNICODE);
    // Only the folder itself is followed: links inside stay links.
    expect(w.links).toContain('link-to-folder');
  });

  it('gives nothing for a project folder that does not exist, and the fallback walk is empty', async () => {
    const missing = join(tempDir('arx-findwalk-'), 'missing');
    expect(await findWalk(missing, { filter, skipTopLevel: SKIP }, true)).toBeUndefined();
    const w = await walkLocal(missing, { filter, skipTopLevel: SKIP }, true, false);
    expect(w.paths).toEqual([]);
    expect(normal(w)).toStrictEqual({ entries: [], unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] });
  });

  it('gives nothing for a project folder that is a file or a link loop, and the Node walk reports the root unreadable', async () => {
    const top = tempDir('arx-findwalk-');
    writeFileSync(join(top, 'not-a-folder'), 'x');
    symlinkSync('loop', join(top, 'loop'));
    for (const root of [join(top, 'not-a-folder'), join(top, 'loop')]) expect(walkCompact(root, {}, true).unreadable, root).toEqual(['']);
  });

  // spawn fails at once for such a folder: the walk in Node then reports it as unreadable.
  it('falls back to the Node walk when the project folder is a file or a loop of links', async () => {
    const top = tempDir('arx-findwalk-');
    const file = join(top, 'not-a-folder');
    writeFileSync(file, 'x');
    symlinkSync('loop', join(top, 'loop'));
    for (const root of [file, join(top, 'loop')]) {
      await expect(findWalk(root, {}, true)).resolves.toBeUndefined();
      await expect(walkLocal(root, {}, true, false)).resolves.toMatchObject({ unreadable: [''] });
    }
  });

  it('gives nothing when a folder inside cannot be read, so the Node walk reports it', async (ctx) => {
    const root = trickyTree();
    const locked = join(root, 'a/b');
    chmodSync(locked, 0o000);
    restore.push(() => chmodSync(locked, 0o755));
    let readable = true;
    try {
      readdirSync(locked);
    } catch {
      readable = false;
    }
    // As root (CAP_DAC_OVERRIDE) the permissions are ignored: nothing to test.
    if (readable) ctx.skip();
    expect(await findWalk(root, { filter, skipTopLevel: SKIP }, true)).toBeUndefined();
    const w = await walkLocal(root, { filter, skipTopLevel: SKIP }, true, false);
    expect(w.unreadable).toEqual(['a/b']);
    expect(w.paths).toContain('a/b');
    expect(w.paths).toContain('top.json');
  });

  it('gives nothing when find does not finish or is missing, and the Node walk runs instead', async () => {
    const root = trickyTree();
    const bin = tempDir('arx-findwalk-bin-');
    const realFind = spawnSync('sh', ['-c', 'command -v find']).stdout.toString().trim();
    const path = process.env.PATH;
    restore.push(() => (process.env.PATH = path));
    const opts = { filter, skipTopLevel: SKIP };
    const expected = normal(walkCompact(root, opts, true));

    // Full output, but find reported a failure (say a file it could not stat): not trusted.
    writeFileSync(join(bin, 'find'), `#!/bin/sh\n"${realFind}" "$@"\nexit 1\n`, { mode: 0o755 });
    process.env.PATH = bin;
    expect(await findWalk(root, opts, true)).toBeUndefined();
    expect(normal(await walkLocal(root, opts, true, false))).toStrictEqual(expected);

    // Killed part-way through a record.
    writeFileSync(join(bin, 'find'), `#!/bin/sh\nprintf 'f 1 1700000000.5 1700000000.5 12 cut'\nkill -9 $$\n`, { mode: 0o755 });
    expect(await findWalk(root, opts, true)).toBeUndefined();

    // Another program answering as find.
    writeFileSync(join(bin, 'find'), '#!/bin/sh\necho "find: unknown predicate -printf"\nexit 0\n', { mode: 0o755 });
    expect(await findWalk(root, opts, true)).toBeUndefined();
    expect(normal(await walkLocal(root, opts, true, false))).toStrictEqual(expected);

    // No find at all.
    process.env.PATH = tempDir('arx-findwalk-empty-bin-');
    expect(await findWalk(root, opts, true)).toBeUndefined();
    expect(normal(await walkLocal(root, opts, true, false))).toStrictEqual(expected);
  });

  it('lists a file dated before 1970 through the fallback, with its exact time', async () => {
    const root = tempDir('arx-findwalk-');
    put(root, 'old/scan.json');
    touchAt(join(root, 'old/scan.json'), '-1.5');
    put(root, 'new.json');
    // find prints such a time in a form the parser does not take: the Node walk lists it instead.
    expect(await findWalk(root, {}, true)).toBeUndefined();
    const w = normal(await walkLocal(root, {}, true, false));
    expect(w).toStrictEqual(normal(walkCompact(root, {}, true)));
    expect((w.entries.find((e) => e[0] === 'old/scan.json')![1] as { mtimeMs: number }).mtimeMs).toBe(-1500);
  });
});
