/** The parser of a server-side `find` listing, and the quoting of its command (through a real shell). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIND_SENTINEL, shellQuote } from '../../src/remote/sftp/find-listing.js';
import type { KnownBase } from '../../src/remote/types.js';
import { FindListingParser } from '../../src/scan/find-listing.js';
import { buildFilter } from '../../src/scan/filter.js';
import { compactToResult, resolveOrder } from '../../src/scan/walk.js';
import { BaseTable } from '../../src/state/base-table.js';
import type { BaseRow } from '../../src/state/store.js';

const END = `\0${FIND_SENTINEL}\0`;

/** The base as a remote listing consults it, from real base rows. */
function knownRemote(rows: BaseRow[]): KnownBase {
  const base = new BaseTable();
  for (const r of rows) base.add(r);
  return {
    rowOf: (path) => base.rowOf(path) ?? -1,
    rowOfBytes: (buf, start, end) => base.rowOfBytes(buf, start, end),
    pathOf: (row) => base.paths[row]!,
    holds: (row, isDir, size, mtimeMs) => base.holds(row, 'remote', { kind: isDir ? 'dir' : 'file', size, mtimeMs }, 1000),
  };
}

function record(type: string, size: number, mtime: string, path: string): string {
  return `${type} ${size} ${mtime} ${path}\0`;
}

const SAMPLE =
  record('d', 4096, '1700000000.5000000000', 'symbols') +
  record('f', 12, '1700000001.0000000000', 'symbols/ahu 1, 世界.json') +
  record('d', 4096, '1700000000', 'node_modules') +
  record('f', 3, '1700000000', 'node_modules/x.js') +
  record('f', 3, '1700000000', 'run.log') +
  record('l', 7, '1700000000', 'link') +
  record('f', 999, '1700000000', 'big.ifc') +
  record('f', 1, '1700000000', '.arx-tmp-w-abc-def') +
  record('f', 2, '1700000002.25', 'line\nbreak.json');

const filter = buildFilter({ arxignore: ['node_modules/', '*.log'], include: [], exclude: [], maxFileSize: 100 });

function parse(text: string, chunk = Infinity, prefix = ''): ReturnType<typeof compactToResult> | undefined {
  const p = new FindListingParser(filter, { prefix, wholeSeconds: true, sentinel: FIND_SENTINEL });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) p.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  const walk = p.finish();
  return walk === undefined ? undefined : compactToResult(walk);
}

/** Records in raw bytes (names that are not UTF-8), with the closing sentinel added, parsed in one chunk. */
function parseBytes(records: Buffer[]): ReturnType<typeof compactToResult> {
  const p = new FindListingParser(filter, { wholeSeconds: true, sentinel: FIND_SENTINEL });
  p.feed(Buffer.concat([...records, Buffer.from(END)]));
  return compactToResult(p.finish()!);
}

/** A folder whose name is not UTF-8 ('dir-' and a lone 0xc3, read as 'dir-\uFFFD'), and a file in it. */
const GARBLED_FOLDER = Buffer.concat([Buffer.from('d 1 1 dir-'), Buffer.from([0xc3]), Buffer.from('\0f 1 1 dir-'), Buffer.from([0xc3]), Buffer.from('/in.json\0')]);

describe('find listing parser', () => {
  it('reads files, folders, problems and whole-second mtimes, leaving out what the filter excludes', () => {
    const l = parse(SAMPLE + END)!;
    expect(Object.fromEntries(l.entries)).toEqual({
      symbols: { kind: 'dir', size: 0, mtimeMs: 0 },
      'symbols/ahu 1, 世界.json': { kind: 'file', size: 12, mtimeMs: 1700000001000, hash: undefined },
      'line\nbreak.json': { kind: 'file', size: 2, mtimeMs: 1700000002000, hash: undefined },
    });
    expect(l.links).toEqual(['link']);
    expect(l.tooLarge).toEqual(['big.ifc']);
    expect(l.temporaries).toEqual(['.arx-tmp-w-abc-def']);
  });

  it('takes only names in the exact temporary format as temporaries; other .arx-tmp-* names are files', () => {
    const l = parse(
      record('f', 1, '1', '.arx-tmp-notes.txt') + record('f', 1, '1', '.arx-tmp-a-b-c-d') + record('f', 1, '1', '.arx-tmp-W-1-2') + record('d', 1, '1', '.arx-tmp-dir') + record('f', 1, '1', '.arx-tmp-dir/in.json') + record('f', 1, '1', 'x/.arx-tmp-w1-k2-z3') + END,
    )!;
    expect([...l.entries.keys()].sort()).toEqual(['.arx-tmp-W-1-2', '.arx-tmp-a-b-c-d', '.arx-tmp-dir', '.arx-tmp-dir/in.json', '.arx-tmp-notes.txt']);
    expect(l.temporaries).toEqual(['x/.arx-tmp-w1-k2-z3']);
  });

  it('gives the same result however the output is split into chunks', () => {
    const whole = parse(SAMPLE + END);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(parse(SAMPLE + END, size)).toEqual(whole);
  });

  it('gives nothing when find did not finish (no sentinel), so the caller lists over SFTP', () => {
    expect(parse(SAMPLE)).toBeUndefined();
    expect(parse(SAMPLE + `\0${FIND_SENTINEL}`)).toBeUndefined();
    expect(parse('')).toBeUndefined();
  });

  it('gives nothing for output that is not find records (another program answered)', () => {
    expect(parse('SSH-2.0 something else\0' + END)).toBeUndefined();
    expect(parse(record('f', 1, '-5.0', 'before-1970') + END)).toBeUndefined();
    expect(parse('f 1 1700000000\0' + END)).toBeUndefined();
    expect(parse(SAMPLE + END + record('f', 1, '1', 'after'))).toBeUndefined();
  });

  it('lists a name that is not UTF-8 with its bytes escaped (U+DC80..U+DCFF), and what is inside such a folder', () => {
    const l = parseBytes([
      Buffer.from(record('f', 1, '1', 'ok-é.json')),
      Buffer.from('f 1 1 bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.json\0'),
      GARBLED_FOLDER,
      Buffer.from(record('f', 1, '1', 'real-\uFFFD.json')),
    ]);
    expect([...l.entries.keys()].sort()).toEqual(['bad-\uDCFF\uDCFE.json', 'dir-\uDCC3', 'dir-\uDCC3/in.json', 'ok-é.json', 'real-\uFFFD.json']);
    expect(l.special).toEqual([]);
  });

  it('keeps a folder that is not UTF-8 apart from a real folder whose name is its U+FFFD reading', () => {
    const l = parseBytes([Buffer.from(record('d', 1, '1', 'dir-\uFFFD')), GARBLED_FOLDER, Buffer.from(record('f', 1, '1', 'dir-\uFFFD/real.json'))]);
    expect([...l.entries.keys()].sort()).toEqual(['dir-\uDCC3', 'dir-\uDCC3/in.json', 'dir-\uFFFD', 'dir-\uFFFD/real.json']);
  });

  it('leaves out what still holds the base, noting its row, and lists the rest', () => {
    // The base had the 'symbols' folder, its file and a file that changed since; 'gone.json' is not listed now.
    const known = knownRemote([
      ['symbols', 1, null, 0, 0, null, null, 0, 0, null],
      ['symbols/ahu 1, 世界.json', 0, 'ab'.repeat(32), 12, 1, null, null, 12, 1700000001000, null],
      ['gone.json', 0, 'cd'.repeat(32), 1, 1, null, null, 1, 1700000000000, null],
      ['symbols/changed.json', 0, 'ef'.repeat(32), 13, 1, null, null, 13, 1600000000000, null],
    ]);
    for (const chunk of [Infinity, 5]) {
      const p = new FindListingParser(filter, { wholeSeconds: true, sentinel: FIND_SENTINEL, known });
      const bytes = Buffer.from(SAMPLE + record('f', 13, '1700000001', 'symbols/changed.json') + END);
      for (let i = 0; i < bytes.length; i += chunk) p.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
      const walk = p.finish()!;
      expect(walk.held).toEqual([0, 1]);
      // Every entry in listing order: base rows, and the listed entry the base lacks by its index.
      expect(walk.order).toEqual([0, 1, -1, 3]);
      expect(resolveOrder(walk, (path) => (path === 'line\nbreak.json' ? 7 : undefined))).toEqual([0, 1, 7, 3]);
      const l = compactToResult(walk);
      expect([...l.entries.keys()].sort()).toEqual(['line\nbreak.json', 'symbols/changed.json']);
      // Problems are reported as ever.
      expect(l.links).toEqual(['link']);
      expect(l.tooLarge).toEqual(['big.ifc']);
    }
  });

  it('excludes entries the base holds as it excludes new ones: by name below the top, by the whole rules at the top', () => {
    const known = knownRemote([
      ['a', 1, null, 0, 0, null, null, 0, 0, null],
      ['a/x.log', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null],
      ['a/y.json', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null],
      ['.env', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null],
      ['a/.env', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null],
    ]);
    const p = new FindListingParser(filter, { wholeSeconds: true, sentinel: FIND_SENTINEL, known });
    p.feed(Buffer.from(['a', 'a/x.log', 'a/y.json', '.env', 'a/.env'].map((path) => record(path === 'a' ? 'd' : 'f', 1, '1', path)).join('') + END));
    const walk = p.finish()!;
    // a, a/y.json and a/.env hold the base; a/x.log (*.log) and .env (never synced at the top) are left out.
    expect(walk.held).toEqual([0, 2, 4]);
    expect(walk.paths).toEqual([]);
  });

  it('never lists inside a folder left out, however the records are ordered', () => {
    const known = knownRemote([['node_modules/late.js', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null]]);
    const text = ['d node_modules', 'f node_modules/a.js', 'd keep', 'f keep/b.json', 'f node_modules/late.js', 'f node_modules/new.js', 'f keep/c.json']
      .map((r) => {
        const [type, path] = r.split(' ');
        return record(type!, 1, '1', path!);
      })
      .join('');
    for (const chunk of [Infinity, 3]) {
      const p = new FindListingParser(filter, { wholeSeconds: true, sentinel: FIND_SENTINEL, known });
      const bytes = Buffer.from(text + END);
      for (let i = 0; i < bytes.length; i += chunk) p.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
      const walk = p.finish()!;
      expect(walk.held).toEqual([]);
      expect(walk.paths).toEqual(['keep', 'keep/b.json', 'keep/c.json']);
    }
  });

  it('finds the base rows of a listing below a subfolder by their full paths', () => {
    const known = knownRemote([['symbols/a/b.json', 0, 'ab'.repeat(32), 1, 1, null, null, 1, 1000, null]]);
    const p = new FindListingParser(filter, { prefix: 'symbols', wholeSeconds: true, sentinel: FIND_SENTINEL, known });
    p.feed(Buffer.from(record('d', 1, '1', 'a') + record('f', 1, '1', 'a/b.json') + END));
    const walk = p.finish()!;
    expect(walk.held).toEqual([0]);
    expect([...compactToResult(walk).entries.keys()]).toEqual(['symbols/a']);
  });

  it('accepts an empty folder', () => {
    expect(parse(END)!.entries.size).toBe(0);
  });

  it('keeps paths relative to the remote folder when listing below a subfolder', () => {
    const l = parse(record('d', 1, '1', 'a') + record('f', 1, '1', 'a/b.json') + END, Infinity, 'symbols')!;
    expect([...l.entries.keys()]).toEqual(['symbols/a', 'symbols/a/b.json']);
  });

  it('never lists inside an excluded or temporary folder', () => {
    const l = parse(record('d', 1, '1', '.arx-tmp-x-1-2') + record('f', 1, '1', '.arx-tmp-x-1-2/in.json') + record('d', 1, '1', 'node_modules/a') + END)!;
    expect(l.entries.size).toBe(0);
    expect(l.temporaries).toEqual(['.arx-tmp-x-1-2']);
  });
});

describe('shellQuote', () => {
  it('passes any name to the shell as one word, running nothing', () => {
    for (const name of ["it's", '$(touch /tmp/arx-pwned)', '`id`', 'a b\tc\nd', '\\', "'", "''", '"', '!', '*', '~root', '']) {
      const r = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(name)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(name);
    }
  });
});
