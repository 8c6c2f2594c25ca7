/**
 * The Remote conformance suite, modelled on rclone's fstest/fstests: every
 * remote (local folder, SFTP, ...) runs these tests unchanged. Each test gets
 * a fresh remote whose folder does not exist yet; tests call createRoot()
 * themselves. Only the Remote interface is used to look at the result, so the
 * suite knows nothing about how a remote stores its files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArxError, ChangedDuringSyncError } from '../../src/errors.js';
import { RemoteLock } from '../../src/remote/lock.js';
import { isTempName, parseTempName, type ListFilter, type Remote, type RemoteEntry } from '../../src/remote/types.js';

export interface ConformanceFixture {
  /** A remote on a fresh folder that does not exist yet. */
  remote: Remote;
  /** Close the remote and delete its folder (and sandbox). */
  cleanup: () => Promise<void>;
  /**
   * Optional: a sandbox folder holding the remote folder, so the path-safety
   * tests can check that nothing was written outside the root.
   */
  sandbox?: {
    /** Absolute path of the sandbox as the remote would see it. */
    absolute: string;
    /** Relative steps from the remote folder up to the sandbox, e.g. '../..'. */
    up: string;
    /** Everything in the sandbox that is not the remote folder (or its parents), relative to the sandbox. */
    outside(): Promise<string[]>;
    /** The remote folder as a path on this machine (the tests put symbolic links in it). */
    root: string;
  };
}

const MiB = 1024 * 1024;
/** A fixed mtime in the past, with a milliseconds part, so a remote ignoring opts.mtimeMs is caught. */
const MTIME = Date.UTC(2020, 1, 29, 12, 34, 56, 789);
const MTIME2 = Date.UTC(2019, 6, 14, 3, 2, 1, 250);

// ---------------------------------------------------------------- helpers

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A Readable giving `data` in chunks (so streams really stream). */
function streamOf(data: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
    })(),
  );
}

/** A Readable producing `size` random bytes; `digest()` is their sha256 once it has ended. */
function randomStream(size: number): { stream: Readable; digest: () => string } {
  const h = createHash('sha256');
  const stream = Readable.from(
    (function* () {
      let left = size;
      while (left > 0) {
        const n = Math.min(left, 256 * 1024);
        const b = randomBytes(n);
        h.update(b);
        left -= n;
        yield b;
      }
    })(),
  );
  let d: string | undefined;
  return { stream, digest: () => (d ??= h.digest('hex')) };
}

/** A Readable that yields `prefix` (if any) and then fails. */
function failingStream(prefix: Buffer, delayMs = 10): Readable {
  return Readable.from(
    (async function* () {
      if (prefix.length > 0) yield prefix;
      await sleep(delayMs);
      throw new Error('source failed on purpose');
    })(),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}

async function streamSha(stream: Readable): Promise<{ sha: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha: h.digest('hex'), size };
}

/** The error `p` rejects with; fails the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

async function expectArxError(p: Promise<unknown>, code?: string): Promise<ArxError> {
  const err = await rejection(p);
  expect(err, `expected an ArxError, got ${String(err)}`).toBeInstanceOf(ArxError);
  if (code !== undefined) expect((err as ArxError).code).toBe(code);
  return err as ArxError;
}

function expectMtime(actual: number, expected: number, precisionMs: number): void {
  expect(
    Math.abs(actual - expected),
    `mtime ${new Date(actual).toISOString()} should be ${new Date(expected).toISOString()} (precision ${precisionMs} ms)`,
  ).toBeLessThan(precisionMs);
}

/** Every parent folder of `path`, shallowest first. */
function parents(path: string): string[] {
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join('/'));
  return out;
}

/** mkdir every parent of `path`. */
async function mkdirParents(remote: Remote, path: string): Promise<void> {
  for (const p of parents(path)) await remote.mkdir(p);
}

/** Write `content` at `path`, creating its parent folders first. */
async function put(remote: Remote, path: string, content: Buffer | string, mtimeMs = MTIME): Promise<RemoteEntry> {
  await mkdirParents(remote, path);
  return remote.write(path, Buffer.isBuffer(content) ? content : Buffer.from(content), { mtimeMs });
}

function sorted(keys: Iterable<string>): string[] {
  return [...keys].sort();
}

const noFilter: ListFilter = { excludeDir: () => false, excludeFile: () => false };

/** Wait until `check` is true (polling), or fail after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---------------------------------------------------------------- the suite

/**
 * A fixture whose remote folder is sandbox/parent/root: the folder and its parent do
 * not exist yet, so createRoot must make both; anything else appearing in the
 * sandbox escaped.
 */
export function sandboxedFixture(makeRemote: (root: string) => Remote): () => Promise<ConformanceFixture> {
  return async () => {
    const sandbox = await mkdtemp(join(tmpdir(), 'arx-conformance-'));
    const root = join(sandbox, 'parent', 'root');
    const remote = makeRemote(root);
    return {
      remote,
      cleanup: async () => {
        await remote.close();
        await rm(sandbox, { recursive: true, force: true });
      },
      sandbox: {
        absolute: sandbox,
        up: '../..',
        outside: async () =>
          (await readdir(sandbox, { recursive: true }))
            .map((p) => p.split('\\').join('/'))
            .filter((p) => p !== 'parent' && p !== 'parent/root' && !p.startsWith('parent/root/'))
            .sort(),
        root,
      },
    };
  };
}

export function remoteConformance(name: string, setup: () => Promise<ConformanceFixture>): void {
  describe(`Remote conformance: ${name}`, () => {
    let fx: ConformanceFixture;
    let remote: Remote;
    let precision: number;

    beforeEach(async () => {
      fx = await setup();
      remote = fx.remote;
      precision = remote.capabilities.mtimePrecisionMs;
    });

    afterEach(async () => {
      await fx?.cleanup();
    });

    /** The remote folder exists and holds nothing (no entries, no temporaries). */
    async function expectEmpty(): Promise<void> {
      const l = await remote.list();
      expect(sorted(l.entries.keys())).toEqual([]);
      expect(l.temporaries).toEqual([]);
    }

    /** A file's content as text, or a short summary when it is long (keeps failure output readable). */
    async function textOf(path: string): Promise<string> {
      const b = await remote.readAll(path);
      return b.length <= 200 ? b.toString() : `<${b.length} bytes, sha256 ${sha256(b)}>`;
    }

    async function expectNoTemporaries(): Promise<void> {
      const l = await remote.list();
      expect(l.temporaries).toEqual([]);
      for (const p of l.entries.keys()) expect(isTempName(p.slice(p.lastIndexOf('/') + 1)), p).toBe(false);
    }

    // ------------------------------------------------------------ root

    describe('root', () => {
      it('describe() gives a non-empty description', () => {
        expect(typeof remote.describe()).toBe('string');
        expect(remote.describe().trim()).not.toBe('');
      });

      it('capabilities are sane', () => {
        expect(precision).toBeGreaterThanOrEqual(1);
        expect(typeof remote.capabilities.cheapHash).toBe('boolean');
      });

      it('rootExists is false before createRoot and true after', async () => {
        expect(await remote.rootExists()).toBe(false);
        await remote.createRoot();
        expect(await remote.rootExists()).toBe(true);
        await expectEmpty();
      });

      it('createRoot again keeps what the folder holds', async () => {
        await remote.createRoot();
        await put(remote, 'keep/me.txt', 'still here');
        await remote.createRoot();
        expect(await remote.rootExists()).toBe(true);
        expect(await textOf('keep/me.txt')).toBe('still here');
      });
    });

    // ------------------------------------------------------------ write + read

    describe('write and read', () => {
      const cases: { label: string; size: number; source: 'buffer' | 'stream' }[] = [
        { label: 'empty file from a Buffer', size: 0, source: 'buffer' },
        { label: 'empty file from a stream', size: 0, source: 'stream' },
        { label: 'small file from a Buffer', size: 1234, source: 'buffer' },
        { label: 'small file from a stream', size: 1234, source: 'stream' },
        { label: '3 MiB file from a Buffer', size: 3 * MiB + 7, source: 'buffer' },
      ];

      it.each(cases)('round-trips a $label', async ({ size, source }) => {
        await remote.createRoot();
        const data = randomBytes(size);
        const written = await remote.write('file.bin', source === 'buffer' ? data : streamOf(data), { mtimeMs: MTIME });
        expect(written.kind).toBe('file');
        expect(written.size).toBe(size);
        expectMtime(written.mtimeMs, MTIME, precision);

        const all = await remote.readAll('file.bin');
        expect(all.length).toBe(size);
        expect(sha256(all)).toBe(sha256(data));
        const streamed = await drain(await remote.read('file.bin'));
        expect(sha256(streamed)).toBe(sha256(data));
        expect(await remote.hash('file.bin')).toBe(sha256(data));

        const st = await remote.stat('file.bin');
        expect(st?.kind).toBe('file');
        expect(st?.size).toBe(size);
        await expectNoTemporaries();
      });

      it('round-trips a 20 MiB file written from a stream (sha256 compared)', async () => {
        await remote.createRoot();
        const size = 20 * MiB + 123;
        const { stream, digest } = randomStream(size);
        const written = await remote.write('large.bin', stream, { mtimeMs: MTIME });
        expect(written.size).toBe(size);
        expectMtime(written.mtimeMs, MTIME, precision);

        const back = await streamSha(await remote.read('large.bin'));
        expect(back.size).toBe(size);
        expect(back.sha).toBe(digest());
        expect(await remote.hash('large.bin')).toBe(digest());
        const l = await remote.list();
        expect(l.entries.get('large.bin')).toMatchObject({ kind: 'file', size });
        expect(l.temporaries).toEqual([]);
      });

      it('writes from a local file, passing the sha256 of what it wrote to verify', async () => {
        await remote.createRoot();
        const dir = mkdtempSync(join(tmpdir(), 'arx-conf-src-'));
        try {
          const content = Buffer.alloc(3 * MiB + 7, 'model data ');
          writeFileSync(join(dir, 'model.ifc'), content);
          const seen: (string | undefined)[] = [];
          const written = await remote.write('m.ifc', { localFile: join(dir, 'model.ifc') }, { mtimeMs: MTIME, verify: (d) => void seen.push(d) });
          expect(seen).toEqual([sha256(content)]);
          expect(written.size).toBe(content.length);
          expectMtime(written.mtimeMs, MTIME, precision);
          expect(await remote.hash('m.ifc')).toBe(sha256(content));
          await expect(
            remote.write('m2.ifc', { localFile: join(dir, 'model.ifc') }, { mtimeMs: MTIME, verify: () => { throw new Error('no'); } }),
          ).rejects.toThrow('no');
          expect(await remote.stat('m2.ifc')).toBeUndefined();
          await expectNoTemporaries();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('with atomicCreate, an expectAbsent write creates a new file but never replaces one', async () => {
        if (!remote.capabilities.atomicCreate) return;
        await remote.createRoot();
        await remote.write('new.txt', Buffer.from('first'), { mtimeMs: MTIME, expectAbsent: true });
        expect(await textOf('new.txt')).toBe('first');
        await expect(remote.write('new.txt', Buffer.from('second'), { mtimeMs: MTIME, expectAbsent: true })).rejects.toMatchObject({ code: 'CHANGED_DURING_SYNC' });
        expect(await textOf('new.txt')).toBe('first');
        await expectNoTemporaries();
      });

      it('hash of an empty file is the sha256 of nothing', async () => {
        await remote.createRoot();
        await remote.write('empty', Buffer.alloc(0), { mtimeMs: MTIME });
        expect(await remote.hash('empty')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      });

      it('hash equals sha256 of the content and changes with it', async () => {
        await remote.createRoot();
        await remote.write('h.txt', Buffer.from('hello world\n'), { mtimeMs: MTIME });
        expect(await remote.hash('h.txt')).toBe(sha256(Buffer.from('hello world\n')));
        await remote.write('h.txt', Buffer.from('hello world!\n'), { mtimeMs: MTIME });
        expect(await remote.hash('h.txt')).toBe(sha256(Buffer.from('hello world!\n')));
      });

      it('writes into an existing sub-folder', async () => {
        await remote.createRoot();
        await remote.mkdir('sub');
        await remote.write('sub/f.txt', Buffer.from('in sub'), { mtimeMs: MTIME });
        expect(await textOf('sub/f.txt')).toBe('in sub');
        expect(sorted((await remote.list()).entries.keys())).toEqual(['sub', 'sub/f.txt']);
      });

      it('several writes at once in one folder all land, with no temporaries left', async () => {
        await remote.createRoot();
        const files = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}.txt`, data: randomBytes(1000 + i * 517) }));
        await Promise.all(files.map((f, i) => remote.write(f.path, i % 2 ? f.data : streamOf(f.data, 100), { mtimeMs: MTIME })));
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(sorted(files.map((f) => f.path)));
        expect(l.temporaries).toEqual([]);
        for (const f of files) expect(sha256(await remote.readAll(f.path))).toBe(sha256(f.data));
      });
    });

    // ------------------------------------------------------------ mtime

    describe('mtime', () => {
      it('write sets the given mtime; stat and list report it', async () => {
        await remote.createRoot();
        const written = await put(remote, 'd/m.txt', 'mtime', MTIME);
        expectMtime(written.mtimeMs, MTIME, precision);
        expectMtime((await remote.stat('d/m.txt'))!.mtimeMs, MTIME, precision);
        const e = (await remote.list()).entries.get('d/m.txt');
        expect(e?.kind).toBe('file');
        expectMtime(e!.mtimeMs, MTIME, precision);
      });

      it('a stream write sets the given mtime too', async () => {
        await remote.createRoot();
        await remote.write('s.bin', streamOf(randomBytes(300_000)), { mtimeMs: MTIME2 });
        expectMtime((await remote.stat('s.bin'))!.mtimeMs, MTIME2, precision);
      });

      it('overwriting sets the new mtime, even an older one', async () => {
        await remote.createRoot();
        await remote.write('o.txt', Buffer.from('one'), { mtimeMs: MTIME });
        await remote.write('o.txt', Buffer.from('two'), { mtimeMs: MTIME2 });
        expectMtime((await remote.stat('o.txt'))!.mtimeMs, MTIME2, precision);
      });

      it('write returns the entry as stat sees it', async () => {
        await remote.createRoot();
        const written = await remote.write('r.txt', Buffer.from('returned entry'), { mtimeMs: MTIME });
        const st = await remote.stat('r.txt');
        expect(written).toMatchObject({ kind: 'file', size: 14 });
        expect(st).toMatchObject({ kind: 'file', size: written.size });
        expectMtime(written.mtimeMs, st!.mtimeMs, precision);
      });
    });

    // ------------------------------------------------------------ overwrite + atomicity

    describe('overwrite and atomic writes', () => {
      it('overwriting replaces the content (no leftover tail) and keeps one file', async () => {
        await remote.createRoot();
        await remote.write('o.txt', Buffer.from('a much longer original content'), { mtimeMs: MTIME });
        const w = await remote.write('o.txt', streamOf(Buffer.from('short')), { mtimeMs: MTIME2 });
        expect(w.size).toBe(5);
        expect(await textOf('o.txt')).toBe('short');
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(['o.txt']);
        expect(l.entries.get('o.txt')?.size).toBe(5);
        expect(l.temporaries).toEqual([]);
      });

      it('while a write is in flight the old content stays readable, and the data goes to a temporary in the same folder', async () => {
        await remote.createRoot();
        await remote.mkdir('dir');
        await remote.write('dir/a.bin', Buffer.from('old content'), { mtimeMs: MTIME });
        const next = randomBytes(2 * MiB);
        const source = new PassThrough();
        const writing = remote.write('dir/a.bin', source, { mtimeMs: MTIME2 });
        writing.catch(() => undefined);
        source.write(next.subarray(0, MiB));
        let temps: string[] = [];
        await until('a temporary to appear', async () => {
          temps = (await remote.list()).temporaries;
          return temps.length > 0;
        });
        expect(temps).toHaveLength(1);
        expect(temps[0]!.startsWith('dir/')).toBe(true);
        expect(temps[0]!.slice('dir/'.length).includes('/')).toBe(false);
        expect(parseTempName(temps[0]!), `temporary name ${temps[0]}`).toBeDefined();
        expect(await textOf('dir/a.bin')).toBe('old content');
        expect((await remote.stat('dir/a.bin'))?.size).toBe(11);

        source.end(next.subarray(MiB));
        await writing;
        expect(sha256(await remote.readAll('dir/a.bin'))).toBe(sha256(next));
        await expectNoTemporaries();
      });

      it('a source stream failing mid-way rejects and leaves no file and no temporaries', async () => {
        await remote.createRoot();
        await remote.mkdir('d');
        await rejection(remote.write('d/new.bin', failingStream(randomBytes(200_000)), { mtimeMs: MTIME }));
        expect(await remote.stat('d/new.bin')).toBeUndefined();
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(['d']);
        expect(l.temporaries).toEqual([]);
      });

      it('a source stream failing before any data rejects and leaves no temporaries', async () => {
        await remote.createRoot();
        await rejection(remote.write('new.bin', failingStream(Buffer.alloc(0), 0), { mtimeMs: MTIME }));
        // Give a lazily-opened temporary the chance to show up.
        await sleep(100);
        await expectEmpty();
      });

      it('a failing overwrite keeps the old content and mtime', async () => {
        await remote.createRoot();
        await remote.write('keep.txt', Buffer.from('precious'), { mtimeMs: MTIME });
        await rejection(remote.write('keep.txt', failingStream(randomBytes(100_000)), { mtimeMs: MTIME2 }));
        expect(await textOf('keep.txt')).toBe('precious');
        const st = await remote.stat('keep.txt');
        expect(st?.size).toBe(8);
        expectMtime(st!.mtimeMs, MTIME, precision);
        await expectNoTemporaries();
      });

      it('verify runs once, after the whole source was consumed', async () => {
        await remote.createRoot();
        const data = randomBytes(700_000);
        const src = streamOf(data, 10_000);
        const seen: boolean[] = [];
        await remote.write('v.bin', src, { mtimeMs: MTIME, verify: () => void seen.push(src.readableEnded) });
        expect(seen).toEqual([true]);
        expect(sha256(await remote.readAll('v.bin'))).toBe(sha256(data));

        let calls = 0;
        await remote.write('v2.txt', Buffer.from('buffer'), { mtimeMs: MTIME, verify: () => void calls++ });
        expect(calls).toBe(1);
        expect(await textOf('v2.txt')).toBe('buffer');
      });

      it.each(['buffer', 'stream'] as const)(
        'a %s write whose verify throws rejects with that error and keeps the old content, no temporaries',
        async (source) => {
          await remote.createRoot();
          await remote.write('x.txt', Buffer.from('old'), { mtimeMs: MTIME });
          const data = randomBytes(300_000);
          const err = await rejection(
            remote.write('x.txt', source === 'buffer' ? data : streamOf(data), {
              mtimeMs: MTIME2,
              verify: () => {
                throw new ChangedDuringSyncError('x.txt');
              },
            }),
          );
          expect(err).toBeInstanceOf(ArxError);
          expect((err as ArxError).code).toBe('CHANGED_DURING_SYNC');
          expect(await textOf('x.txt')).toBe('old');
          const st = await remote.stat('x.txt');
          expect(st?.size).toBe(3);
          expectMtime(st!.mtimeMs, MTIME, precision);
          const l = await remote.list();
          expect(sorted(l.entries.keys())).toEqual(['x.txt']);
          expect(l.temporaries).toEqual([]);
        },
      );

      it('a write whose verify throws on a new path leaves nothing behind', async () => {
        await remote.createRoot();
        await rejection(
          remote.write('never.txt', Buffer.from('nope'), {
            mtimeMs: MTIME,
            verify: () => {
              throw new Error('verify failed');
            },
          }),
        );
        expect(await remote.stat('never.txt')).toBeUndefined();
        await expectEmpty();
      });

      it('writing a file where a folder is rejects, keeps the folder, leaves no temporaries', async () => {
        await remote.createRoot();
        await put(remote, 'f/inner.txt', 'inner');
        await expectArxError(remote.write('f', Buffer.from('file'), { mtimeMs: MTIME }));
        expect((await remote.stat('f'))?.kind).toBe('dir');
        expect(await textOf('f/inner.txt')).toBe('inner');
        await expectNoTemporaries();
      });

      it('concurrent writes to one path end with one complete version and no temporaries', async () => {
        await remote.createRoot();
        const a = Buffer.alloc(600_000, 'a');
        const b = Buffer.alloc(400_000, 'b');
        await Promise.all([
          remote.write('same.txt', streamOf(a, 5_000), { mtimeMs: MTIME }),
          remote.write('same.txt', streamOf(b, 5_000), { mtimeMs: MTIME2 }),
        ]);
        const got = sha256(await remote.readAll('same.txt'));
        expect([sha256(a), sha256(b)]).toContain(got);
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(['same.txt']);
        expect(l.temporaries).toEqual([]);
      });
    });

    // ------------------------------------------------------------ awkward names

    describe('awkward names', () => {
      const deep = Array.from({ length: 20 }, (_, i) => `level${String(i + 1).padStart(2, '0')}`).join('/') + '/deep.txt';
      const names = [
        'hello? sausage/êé/Hello, 世界.json',
        'with space.txt',
        ' leading and trailing space .txt',
        'folder with spaces/file  with  two  spaces.txt',
        `it's "quoted" and \`ticked\`.txt`,
        '#hash #tag.txt',
        '100% done %2F %41.txt',
        'a+b=c&d;e.txt',
        '-leading-dash.txt',
        '--/-n',
        'back\\slash.txt',
        '[brackets] {braces} (parens) <angle> |pipe| *star*.txt',
        '.hidden',
        '..dots../...tail',
        '~tilde/$dollar!bang@at.txt',
        'émoji 🙂 ü Ä ß.txt',
        'ＦＵＬＬＷＩＤＴＨ／slash.txt',
        'x'.repeat(200),
        'long folder ' + 'y'.repeat(188) + '/' + 'z'.repeat(196) + '.txt',
        deep,
      ];

      it.each(names.map((n) => [n.length > 60 ? `${n.slice(0, 40)}… (${n.length} chars)` : n, n]))(
        'writes, lists, stats and reads back %j',
        async (_label, path) => {
          await remote.createRoot();
          const data = Buffer.from(`content of ${path}\n`);
          await mkdirParents(remote, path);
          const w = await remote.write(path, data, { mtimeMs: MTIME });
          expect(w.size).toBe(data.length);

          const l = await remote.list();
          expect(sorted(l.entries.keys())).toEqual(sorted([...parents(path), path]));
          expect(l.entries.get(path)).toMatchObject({ kind: 'file', size: data.length });
          for (const p of parents(path)) expect(l.entries.get(p)?.kind, p).toBe('dir');
          expect(l.temporaries).toEqual([]);

          expect(await remote.stat(path)).toMatchObject({ kind: 'file', size: data.length });
          expect((await remote.readAll(path)).toString()).toBe(data.toString());
          expect((await drain(await remote.read(path))).toString()).toBe(data.toString());
          expect(await remote.hash(path)).toBe(sha256(data));
        },
      );

      it('names differing only in case or Unicode normalisation stay exactly as written', async () => {
        await remote.createRoot();
        const nfc = 'caf\u00e9.txt';
        await remote.write(nfc, Buffer.from('nfc'), { mtimeMs: MTIME });
        const keys = sorted((await remote.list()).entries.keys());
        expect(keys).toEqual([nfc]);
        expect(keys[0]).toBe(nfc);
        expect(keys[0]).not.toBe(nfc.normalize('NFD'));
      });

      it('a file can be renamed to and removed at an awkward name', async () => {
        await remote.createRoot();
        await put(remote, 'plain.txt', 'plain');
        await remote.mkdir('hello? sausage');
        await remote.rename('plain.txt', 'hello? sausage/Hello, 世界 #1 %.json');
        expect(sorted((await remote.list()).entries.keys())).toEqual(['hello? sausage', 'hello? sausage/Hello, 世界 #1 %.json']);
        await remote.remove('hello? sausage/Hello, 世界 #1 %.json');
        await remote.remove('hello? sausage');
        await expectEmpty();
      });
    });

    // ------------------------------------------------------------ list

    describe('list', () => {
      async function populate(): Promise<void> {
        await remote.createRoot();
        await put(remote, 'top.txt', 'top');
        await put(remote, 'a/x.txt', 'xx');
        await put(remote, 'a/b/y.txt', 'yyy');
        await put(remote, 'a/b/c/z.txt', 'zzzz');
        await put(remote, 'skipme/inside.txt', 'inside');
        await put(remote, 'skipme/deeper/more.txt', 'more');
        await remote.mkdir('emptydir');
        await put(remote, 'big.bin', Buffer.alloc(5000, 1));
        await put(remote, 'exact.bin', Buffer.alloc(1000, 2));
      }

      it('an empty folder lists nothing', async () => {
        await remote.createRoot();
        const l = await remote.list();
        expect(l.entries.size).toBe(0);
        expect(l.unreadable).toEqual([]);
        expect(l.links).toEqual([]);
        expect(l.special).toEqual([]);
        expect(l.temporaries).toEqual([]);
        expect(l.tooLarge).toEqual([]);
      });

      it('reports every file with size and mtime, and every folder', async () => {
        await populate();
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(
          sorted([
            'top.txt',
            'a',
            'a/x.txt',
            'a/b',
            'a/b/y.txt',
            'a/b/c',
            'a/b/c/z.txt',
            'skipme',
            'skipme/inside.txt',
            'skipme/deeper',
            'skipme/deeper/more.txt',
            'emptydir',
            'big.bin',
            'exact.bin',
          ]),
        );
        const sizes: Record<string, number> = { 'top.txt': 3, 'a/x.txt': 2, 'a/b/y.txt': 3, 'a/b/c/z.txt': 4, 'big.bin': 5000, 'exact.bin': 1000 };
        for (const [p, size] of Object.entries(sizes)) {
          const e = l.entries.get(p)!;
          expect(e.kind, p).toBe('file');
          expect(e.size, p).toBe(size);
          expectMtime(e.mtimeMs, MTIME, precision);
        }
        for (const p of ['a', 'a/b', 'a/b/c', 'skipme', 'skipme/deeper', 'emptydir']) {
          expect(l.entries.get(p)?.kind, p).toBe('dir');
          expect(l.entries.get(p)?.size, p).toBe(0);
        }
        expect(l.unreadable).toEqual([]);
        expect(l.links).toEqual([]);
        expect(l.special).toEqual([]);
        expect(l.temporaries).toEqual([]);
        expect(l.tooLarge).toEqual([]);
      });

      it('a filter with nothing excluded lists the same as no filter', async () => {
        await populate();
        expect(sorted((await remote.list(noFilter)).entries.keys())).toEqual(sorted((await remote.list()).entries.keys()));
      });

      it('excludeDir prunes the folder and everything below it, without descending', async () => {
        await populate();
        const asked: string[] = [];
        const l = await remote.list({
          excludeDir: (p) => {
            asked.push(p);
            return p === 'skipme';
          },
          excludeFile: (p) => {
            asked.push(p);
            return false;
          },
        });
        const keys = sorted(l.entries.keys());
        expect(keys.filter((k) => k === 'skipme' || k.startsWith('skipme/'))).toEqual([]);
        expect(keys).toContain('a/b/c/z.txt');
        expect(keys).toContain('emptydir');
        expect(asked).toContain('skipme');
        expect(asked).toContain('a/b');
        expect(asked).toContain('a/b/y.txt');
        expect(asked.filter((p) => p.startsWith('skipme/'))).toEqual([]);
      });

      it('excludeDir gets root-relative paths for nested folders', async () => {
        await populate();
        const l = await remote.list({ excludeDir: (p) => p === 'a/b', excludeFile: () => false });
        const keys = sorted(l.entries.keys());
        expect(keys).toContain('a');
        expect(keys).toContain('a/x.txt');
        expect(keys.filter((k) => k === 'a/b' || k.startsWith('a/b/'))).toEqual([]);
      });

      it('excludeFile skips just those files', async () => {
        await populate();
        const l = await remote.list({ excludeDir: () => false, excludeFile: (p) => p === 'a/b/y.txt' || p === 'top.txt' });
        const keys = sorted(l.entries.keys());
        expect(keys).not.toContain('a/b/y.txt');
        expect(keys).not.toContain('top.txt');
        expect(keys).toContain('a/b');
        expect(keys).toContain('a/b/c/z.txt');
        expect(keys).toContain('a/x.txt');
        expect(l.tooLarge).toEqual([]);
      });

      it('maxFileSize moves bigger files to tooLarge; a file of exactly that size stays', async () => {
        await populate();
        const l = await remote.list({ ...noFilter, maxFileSize: 1000 });
        expect(l.tooLarge).toEqual(['big.bin']);
        expect(l.entries.has('big.bin')).toBe(false);
        expect(l.entries.get('exact.bin')).toMatchObject({ kind: 'file', size: 1000 });
        expect(l.entries.get('top.txt')?.kind).toBe('file');
      });

      it('list(filter, under) lists only below that folder, with root-relative paths', async () => {
        await populate();
        await remote.mkdir('ab');
        await put(remote, 'ab/sibling.txt', 'not under a');
        const l = await remote.list(undefined, 'a');
        expect(sorted(l.entries.keys())).toEqual(sorted(['a/x.txt', 'a/b', 'a/b/y.txt', 'a/b/c', 'a/b/c/z.txt']));
        expect(l.entries.get('a/b/c/z.txt')).toMatchObject({ kind: 'file', size: 4 });

        const nested = await remote.list(noFilter, 'a/b');
        expect(sorted(nested.entries.keys())).toEqual(sorted(['a/b/y.txt', 'a/b/c', 'a/b/c/z.txt']));
      });

      it('list(filter, under) applies the filter with root-relative paths', async () => {
        await populate();
        const l = await remote.list(
          { excludeDir: (p) => p === 'a/b/c', excludeFile: (p) => p === 'a/x.txt', maxFileSize: 2 },
          'a',
        );
        expect(sorted(l.entries.keys())).toEqual(['a/b']);
        expect(l.tooLarge).toEqual(['a/b/y.txt']);
      });

      it('temporaries show up in temporaries, not in entries (also with under)', async () => {
        await populate();
        const t1 = `.arx-tmp-otherwriter-${Date.now().toString(36)}-abc123`;
        const t2 = `.arx-tmp-otherwriter-${(Date.now() - 5000).toString(36)}-def456`;
        await put(remote, 'tmp1.txt', 'left over');
        await put(remote, 'tmp2.txt', 'left over too');
        await remote.rename('tmp1.txt', t1);
        await remote.rename('tmp2.txt', `a/b/${t2}`);

        const l = await remote.list();
        expect(sorted(l.temporaries)).toEqual(sorted([t1, `a/b/${t2}`]));
        for (const k of l.entries.keys()) expect(isTempName(k.slice(k.lastIndexOf('/') + 1)), k).toBe(false);
        expect(l.entries.has('a/b/y.txt')).toBe(true);

        const under = await remote.list(noFilter, 'a');
        expect(under.temporaries).toEqual([`a/b/${t2}`]);
        expect(under.entries.has(`a/b/${t2}`)).toBe(false);
      });
    });

    // ------------------------------------------------------------ stat

    describe('stat', () => {
      it('of a missing path is undefined', async () => {
        await remote.createRoot();
        expect(await remote.stat('missing.txt')).toBeUndefined();
        expect(await remote.stat('missing/deeper.txt')).toBeUndefined();
      });

      it('below a file is undefined', async () => {
        await remote.createRoot();
        await put(remote, 'file.txt', 'x');
        expect(await remote.stat('file.txt/below')).toBeUndefined();
      });

      it('of a file gives kind, size and mtime', async () => {
        await remote.createRoot();
        await put(remote, 'd/f.txt', 'twelve bytes');
        const st = await remote.stat('d/f.txt');
        expect(st).toMatchObject({ kind: 'file', size: 12 });
        expectMtime(st!.mtimeMs, MTIME, precision);
      });

      it('of a folder gives kind dir', async () => {
        await remote.createRoot();
        await remote.mkdir('d');
        await put(remote, 'd/e/f.txt', 'x');
        expect((await remote.stat('d'))?.kind).toBe('dir');
        expect((await remote.stat('d/e'))?.kind).toBe('dir');
      });
    });

    // ------------------------------------------------------------ missing paths

    describe('reading missing paths', () => {
      it('read of a missing file rejects with NOT_FOUND', async () => {
        await remote.createRoot();
        await expectArxError(remote.read('missing.txt'), 'NOT_FOUND');
        await expectArxError(remote.read('no/such/folder.txt'), 'NOT_FOUND');
      });

      it('readAll of a missing file rejects with NOT_FOUND', async () => {
        await remote.createRoot();
        await expectArxError(remote.readAll('missing.txt'), 'NOT_FOUND');
        await expectArxError(remote.readAll('no/such/folder.txt'), 'NOT_FOUND');
      });

      it('hash of a missing file rejects with NOT_FOUND', async () => {
        await remote.createRoot();
        await expectArxError(remote.hash('missing.txt'), 'NOT_FOUND');
      });

      it('a file removed after a write can no longer be read', async () => {
        await remote.createRoot();
        await put(remote, 'gone.txt', 'soon gone');
        await remote.remove('gone.txt');
        await expectArxError(remote.readAll('gone.txt'), 'NOT_FOUND');
      });
    });

    // ------------------------------------------------------------ mkdir

    describe('mkdir', () => {
      it('creates a folder that stat and list see', async () => {
        await remote.createRoot();
        await remote.mkdir('new');
        await remote.mkdir('new/child');
        expect((await remote.stat('new'))?.kind).toBe('dir');
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(['new', 'new/child']);
        expect(l.entries.get('new/child')?.kind).toBe('dir');
      });

      it('succeeds when the folder already exists, keeping its content', async () => {
        await remote.createRoot();
        await put(remote, 'exists/f.txt', 'kept');
        await remote.mkdir('exists');
        expect(await textOf('exists/f.txt')).toBe('kept');
      });

      it('rejects when the parent does not exist', async () => {
        await remote.createRoot();
        await expectArxError(remote.mkdir('no-parent/child'));
        expect(await remote.stat('no-parent')).toBeUndefined();
        await expectEmpty();
      });

      it('rejects when a file is in the way, keeping the file', async () => {
        await remote.createRoot();
        await put(remote, 'occupied', 'a file');
        await expectArxError(remote.mkdir('occupied'));
        expect((await remote.stat('occupied'))?.kind).toBe('file');
        expect(await textOf('occupied')).toBe('a file');
      });
    });

    // ------------------------------------------------------------ remove

    describe('remove', () => {
      it('removes a file', async () => {
        await remote.createRoot();
        await put(remote, 'd/f.txt', 'x');
        await put(remote, 'd/other.txt', 'y');
        await remote.remove('d/f.txt');
        expect(await remote.stat('d/f.txt')).toBeUndefined();
        expect(sorted((await remote.list()).entries.keys())).toEqual(['d', 'd/other.txt']);
      });

      it('removes an empty folder', async () => {
        await remote.createRoot();
        await remote.mkdir('empty');
        await remote.remove('empty');
        expect(await remote.stat('empty')).toBeUndefined();
        await expectEmpty();
      });

      it('succeeds for a missing path', async () => {
        await remote.createRoot();
        await remote.remove('missing.txt');
        await remote.remove('missing/deeper.txt');
        await expectEmpty();
      });

      it('succeeds for a path below a file (it does not exist), keeping the file', async () => {
        await remote.createRoot();
        await put(remote, 'file.txt', 'keep');
        await remote.remove('file.txt/below');
        expect(await textOf('file.txt')).toBe('keep');
      });

      it('rejects for a non-empty folder and keeps its content', async () => {
        await remote.createRoot();
        await put(remote, 'full/sub/f.txt', 'content');
        await expectArxError(remote.remove('full'));
        await expectArxError(remote.remove('full/sub'));
        expect(await textOf('full/sub/f.txt')).toBe('content');
        expect(sorted((await remote.list()).entries.keys())).toEqual(['full', 'full/sub', 'full/sub/f.txt']);
      });

      it('removes a temporary left over by another writer', async () => {
        await remote.createRoot();
        const t = `.arx-tmp-other-${Date.now().toString(36)}-zz9`;
        await put(remote, 'x', 'partial');
        await remote.rename('x', t);
        expect((await remote.list()).temporaries).toEqual([t]);
        await remote.remove(t);
        await expectEmpty();
      });
    });

    // ------------------------------------------------------------ rename

    describe('rename', () => {
      it('renames a file, keeping content and mtime', async () => {
        await remote.createRoot();
        await put(remote, 'old.txt', 'renamed content');
        await remote.rename('old.txt', 'new.txt');
        expect(await remote.stat('old.txt')).toBeUndefined();
        expect(await textOf('new.txt')).toBe('renamed content');
        const st = await remote.stat('new.txt');
        expect(st?.size).toBe(15);
        expectMtime(st!.mtimeMs, MTIME, precision);
        expect(sorted((await remote.list()).entries.keys())).toEqual(['new.txt']);
      });

      it('moves a file into another folder', async () => {
        await remote.createRoot();
        await put(remote, 'src/f.txt', 'moving');
        await remote.mkdir('dst');
        await remote.rename('src/f.txt', 'dst/g.txt');
        expect(sorted((await remote.list()).entries.keys())).toEqual(['dst', 'dst/g.txt', 'src']);
        expect(await textOf('dst/g.txt')).toBe('moving');
      });

      it('renames a folder with everything in it', async () => {
        await remote.createRoot();
        await put(remote, 'folder/a.txt', 'a');
        await put(remote, 'folder/sub/b.txt', 'bb');
        await remote.rename('folder', 'renamed');
        const l = await remote.list();
        expect(sorted(l.entries.keys())).toEqual(['renamed', 'renamed/a.txt', 'renamed/sub', 'renamed/sub/b.txt']);
        expect(await textOf('renamed/sub/b.txt')).toBe('bb');
        expect(await remote.stat('folder')).toBeUndefined();
      });

      it('rejects renaming a missing path, creating nothing', async () => {
        await remote.createRoot();
        await expectArxError(remote.rename('missing.txt', 'target.txt'));
        await expectEmpty();
      });
    });

    // ------------------------------------------------------------ path safety

    describe('path safety', () => {
      const escapes = ['../escape.txt', '../../escape.txt', 'a/../../escape.txt', '/escape.txt'];

      async function expectNothingOutside(): Promise<void> {
        if (fx.sandbox) expect(await fx.sandbox.outside()).toEqual([]);
      }

      function outsidePaths(): string[] {
        const s = fx.sandbox;
        return s ? [...escapes, `${s.up}/escape.txt`, `${s.absolute}/escape.txt`, `${s.up}/../${s.absolute.split('/').pop()}/escape.txt`] : escapes;
      }

      it('write refuses paths with ".." or absolute paths and writes nothing outside', async () => {
        await remote.createRoot();
        await remote.mkdir('a');
        for (const p of outsidePaths()) {
          await expectArxError(remote.write(p, Buffer.from('escaped'), { mtimeMs: MTIME }));
          await expectArxError(remote.write(p, streamOf(Buffer.from('escaped')), { mtimeMs: MTIME }));
        }
        expect(sorted((await remote.list()).entries.keys())).toEqual(['a']);
        await expectNothingOutside();
      });

      it('a folder below the root that is a symbolic link is never written, read, renamed into or removed through', async () => {
        const s = fx.sandbox;
        if (!s) return;
        await remote.createRoot();
        await put(remote, 'real/x.txt', 'stays');
        mkdirSync(join(s.absolute, 'elsewhere'));
        writeFileSync(join(s.absolute, 'elsewhere', 'victim.txt'), 'theirs');
        symlinkSync(join(s.absolute, 'elsewhere'), join(s.root, 'linked'));
        const refused = async (p: Promise<unknown>): Promise<void> => {
          const err = await expectArxError(p);
          expect(err.code, err.message).toBe('SYMLINK_IN_PATH');
        };
        await refused(remote.write('linked/new.txt', Buffer.from('escaped'), { mtimeMs: MTIME }));
        await refused(remote.write('linked/new.txt', streamOf(Buffer.from('escaped')), { mtimeMs: MTIME }));
        await refused(remote.write('linked/new.txt', Buffer.from('escaped'), { mtimeMs: MTIME, expectAbsent: true }));
        await refused(remote.mkdir('linked/sub'));
        await refused(remote.mkdir('linked'));
        await refused(remote.remove('linked/victim.txt'));
        await refused(remote.rename('real/x.txt', 'linked/x.txt'));
        await refused(remote.readAll('linked/victim.txt'));
        await refused(remote.read('linked/victim.txt'));
        expect(await remote.createMany?.([{ path: 'linked/batch.txt', data: Buffer.from('escaped'), mtimeMs: MTIME }], (_f, outcome) => {
          expect(outcome instanceof ArxError && outcome.code).toBe('SYMLINK_IN_PATH');
        }) ?? true).toBe(true);
        expect(await s.outside()).toEqual(['elsewhere', 'elsewhere/victim.txt']);
        expect(readFileSync(join(s.absolute, 'elsewhere', 'victim.txt'), 'utf8')).toBe('theirs');
        expect(await textOf('real/x.txt')).toBe('stays');
      });

      it('write refuses a ".." path even when it would stay inside', async () => {
        await remote.createRoot();
        await remote.mkdir('a');
        await expectArxError(remote.write('a/../inside.txt', Buffer.from('x'), { mtimeMs: MTIME }));
        expect(await remote.stat('inside.txt')).toBeUndefined();
      });

      it('mkdir refuses escaping paths and creates nothing outside', async () => {
        await remote.createRoot();
        const s = fx.sandbox;
        const dirs = ['../escape-dir', '../../escape-dir', '/escape-dir', ...(s ? [`${s.up}/escape-dir`, `${s.absolute}/escape-dir`] : [])];
        for (const p of dirs) await expectArxError(remote.mkdir(p));
        await expectArxError(remote.mkdir('x/../inside-dir'));
        await expectEmpty();
        await expectNothingOutside();
      });

      it('rename refuses to move a file out of the root, keeping it', async () => {
        await remote.createRoot();
        await put(remote, 'inside.txt', 'stay');
        for (const p of outsidePaths()) await expectArxError(remote.rename('inside.txt', p));
        expect(await textOf('inside.txt')).toBe('stay');
        expect(sorted((await remote.list()).entries.keys())).toEqual(['inside.txt']);
        await expectNothingOutside();
      });

      it('stat, read, readAll, hash, remove and rename refuse ".." even for a path inside', async () => {
        await remote.createRoot();
        await put(remote, 'a/f.txt', 'guarded');
        const sneaky = 'a/../a/f.txt';
        await expectArxError(remote.stat(sneaky));
        await expectArxError(remote.read(sneaky));
        await expectArxError(remote.readAll(sneaky));
        await expectArxError(remote.hash(sneaky));
        await expectArxError(remote.remove(sneaky));
        await expectArxError(remote.rename(sneaky, 'a/g.txt'));
        await expectArxError(remote.rename('a/f.txt', 'a/../g.txt'));
        expect(sorted((await remote.list()).entries.keys())).toEqual(['a', 'a/f.txt']);
        expect(await textOf('a/f.txt')).toBe('guarded');
      });

      it('stat, read, readAll, hash and remove refuse absolute paths', async () => {
        await remote.createRoot();
        await put(remote, 'f.txt', 'x');
        for (const p of ['/etc/passwd', '/f.txt']) {
          await expectArxError(remote.stat(p));
          await expectArxError(remote.readAll(p));
          await expectArxError(remote.read(p));
          await expectArxError(remote.hash(p));
          await expectArxError(remote.remove(p));
        }
        expect(await textOf('f.txt')).toBe('x');
      });

      it('list refuses an escaping under', async () => {
        await remote.createRoot();
        await remote.mkdir('a');
        await expectArxError(remote.list(undefined, '..'));
        await expectArxError(remote.list(undefined, 'a/../..'));
        await expectArxError(remote.list(noFilter, '/etc'));
      });
    });

    describe('remote lock', () => {
      const who = (n: number) => ({ syncId: `sync_${n}`, command: 'sync' });
      const opts = { waitMs: 0, leaseMs: 60_000 };

      it('createExclusive: exactly one of many creates wins, stamped by the remote clock; replaceStamped replaces atomically', async () => {
        await remote.createRoot();
        const before = Date.now() - 5_000;
        const outcomes = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => remote.createExclusive('x.lock', Buffer.from(`writer ${n}`))));
        const won = outcomes.filter((o) => o !== undefined);
        expect(won).toHaveLength(1);
        expect(won[0]!.mtimeMs).toBeGreaterThan(before);
        expect(await textOf('x.lock')).toMatch(/^writer \d$/);
        const stamped = await remote.replaceStamped('x.lock', Buffer.from('renewed'));
        expect(stamped.size).toBe(7);
        expect(await textOf('x.lock')).toBe('renewed');
        await expectNoTemporaries();
      });

      it('one holder at a time; the second is told who holds it; release lets the next one in and leaves nothing behind', async () => {
        await remote.createRoot();
        const first = await RemoteLock.acquire(remote, who(1), opts);
        expect(first).toBeInstanceOf(RemoteLock);
        const err = await RemoteLock.acquire(remote, who(2), opts).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ArxError);
        expect((err as ArxError).code).toBe('REMOTE_LOCKED');
        expect((err as ArxError).message).toContain('sync_1');
        await (first as RemoteLock).release();
        const second = await RemoteLock.acquire(remote, who(2), opts);
        expect(second).toBeInstanceOf(RemoteLock);
        await (second as RemoteLock).release();
        expect(await remote.stat('.arx-lock')).toBeUndefined();
      });

      it('a waiter gets the lock once its holder releases it', async () => {
        await remote.createRoot();
        const first = (await RemoteLock.acquire(remote, who(1), opts)) as RemoteLock;
        const notes: string[] = [];
        const waiting = RemoteLock.acquire(remote, who(2), { ...opts, waitMs: 10_000, pollMs: 50, onNote: (m) => notes.push(m) });
        await new Promise((r) => setTimeout(r, 300));
        await first.release();
        const second = (await waiting) as RemoteLock;
        expect(notes[0]).toMatch(/^waiting up to \d+ s for the remote lock, held by arx sync sync_1 \(pid /);
        await second.release();
      });

      it('an expired lock is taken over by exactly one of the waiters racing for it', async () => {
        await remote.createRoot();
        await remote.mkdir('.arx-lock');
        const stale = { token: 'dead', host: 'gone', pid: 1, sync_id: 'sync_0', command: 'sync', since: new Date().toISOString(), lease_ms: 1, renewals: 0 };
        await remote.replaceStamped('.arx-lock/owner', Buffer.from(JSON.stringify(stale)));
        await new Promise((r) => setTimeout(r, Math.max(precision, 1) + 100)); // older than its lease on the remote's clock
        const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => RemoteLock.acquire(remote, who(n), opts)));
        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as ArxError).code).toBe('REMOTE_LOCKED');
        const owner = JSON.parse((await remote.readAll('.arx-lock/owner')).toString());
        expect(owner.token).not.toBe('dead');
        await ((winners[0] as PromiseFulfilledResult<RemoteLock>).value).release();
      });

      it('a holder whose lock was removed stops writing through it', async () => {
        await remote.createRoot();
        const lock = (await RemoteLock.acquire(remote, who(1), { ...opts, leaseMs: 600 })) as RemoteLock;
        lock.assertHeld();
        await remote.remove('.arx-lock/owner');
        await new Promise((r) => setTimeout(r, 400)); // a renewal (every lease/6) notices
        expect(() => lock.assertHeld()).toThrow(/lost the remote lock/);
        await lock.release();
      });
    });
  });
}
