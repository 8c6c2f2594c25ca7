/**
 * The Remote conformance suite, unchanged, against SFTP on a real OpenSSH sshd
 * (loopback): once where the account may run commands (listings come from one
 * `find` on the server) and once on an SFTP-only account (listings over SFTP).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArxError } from '../../src/errors.js';
import { SftpRemote } from '../../src/remote/sftp/sftp-remote.js';
import { tempName, type BatchFile, type RemoteEntry } from '../../src/remote/types.js';
import { buildFilter } from '../../src/scan/filter.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { remoteConformance, sandboxedFixture } from './conformance.js';

let sshd: Sshd;
let sftpOnly: Sshd;
beforeAll(async () => {
  [sshd, sftpOnly] = await Promise.all([startSshd(), startSshd({ sftpOnly: true })]);
});
afterAll(async () => {
  await Promise.all([sshd?.stop(), sftpOnly?.stop()]);
});

function sftpRemote(server: Sshd, folder: string, opts: { findListing?: boolean } = {}): SftpRemote {
  return new SftpRemote(
    {
      host: '127.0.0.1',
      port: server.port,
      username: server.user,
      keyFile: server.clientKey,
      knownHosts: [server.knownHosts],
      hostKeyPolicy: 'strict',
      channels: 4,
      readyTimeoutMs: 10_000,
    },
    folder,
    'conformance',
    opts,
  );
}

remoteConformance('sftp', sandboxedFixture((root) => sftpRemote(sshd, root)));
remoteConformance('sftp, SFTP-only account', sandboxedFixture((root) => sftpRemote(sftpOnly, root)));

describe('SFTP listings', () => {
  /** A tree with every kind of name and entry a listing must get right. */
  async function trickyTree(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'arx-listing-'));
    const put = (rel: string, content = 'x'): void => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), content);
    };
    put("it's a $(touch pwned) `x` \\ folder/Hello, 世界.json", '{}');
    put('hello? sausage/êé/file with  two spaces.json');
    put('line\nbreak.json');
    put('symbols/mechanical/ahu.json', '{"id":"ahu"}');
    put('node_modules/pkg/index.js');
    put('logs/run.log');
    put('models/big.ifc', 'y'.repeat(500));
    put(`symbols/${tempName('other')}`);
    mkdirSync(join(root, 'empty/deeper'), { recursive: true });
    const tempFolder = tempName('dir');
    mkdirSync(join(root, tempFolder));
    writeFileSync(join(root, tempFolder, 'inside.json'), '{}');
    symlinkSync('symbols', join(root, 'link'));
    return root;
  }

  const filter = buildFilter({ arxignore: ['node_modules/', '*.log'], include: [], exclude: [], maxFileSize: 100 });

  it('are taken by one find on the server, and agree with a listing over SFTP on every kind of name', async () => {
    const root = await trickyTree();
    const byFind = sftpRemote(sshd, root);
    const bySftp = sftpRemote(sshd, root, { findListing: false });
    try {
      const a = await byFind.list(filter);
      expect(byFind.listedBy).toBe('find');
      const b = await bySftp.list(filter);
      expect(bySftp.listedBy).toBe('sftp');
      const view = (l: typeof a): unknown => ({
        entries: [...l.entries].sort(([x], [y]) => (x < y ? -1 : 1)),
        links: [...l.links].sort(),
        special: [...l.special].sort(),
        temporaries: [...l.temporaries].sort(),
        tooLarge: [...l.tooLarge].sort(),
        unreadable: l.unreadable,
      });
      expect(view(a)).toEqual(view(b));
      expect([...a.entries.keys()]).toContain("it's a $(touch pwned) `x` \\ folder/Hello, 世界.json");
      expect([...a.entries.keys()]).toContain('line\nbreak.json');
      expect([...a.entries.keys()]).toContain('empty/deeper');
      expect([...a.entries.keys()].some((p) => p.startsWith('node_modules') || p.endsWith('.log'))).toBe(false);
      expect(a.tooLarge).toEqual(['models/big.ifc']);
      expect(a.links).toEqual(['link']);
      expect(a.temporaries.length).toBe(2);
      // The quoted name ran nothing on the server.
      expect((await readdir(root)).includes('pwned')).toBe(false);
      // Below a subfolder, paths stay relative to the remote folder.
      const under = await byFind.list(filter, 'symbols');
      expect(byFind.listedBy).toBe('find');
      expect([...under.entries.keys()].sort()).toEqual(['symbols/mechanical', 'symbols/mechanical/ahu.json']);
    } finally {
      await Promise.all([byFind.close(), bySftp.close()]);
      await rm(root, { recursive: true, force: true });
    }
  });

  it('list a remote folder that is a symbolic link through the link, as SFTP does', async () => {
    const root = await trickyTree();
    const link = `${root}-link`;
    symlinkSync(root, link);
    const byFind = sftpRemote(sshd, link);
    const bySftp = sftpRemote(sshd, link, { findListing: false });
    try {
      const a = await byFind.list(filter);
      expect(byFind.listedBy).toBe('find');
      expect([...a.entries.keys()].sort()).toEqual([...(await bySftp.list(filter)).entries.keys()].sort());
      expect([...a.entries.keys()]).toContain('symbols/mechanical/ahu.json');
    } finally {
      await Promise.all([byFind.close(), bySftp.close()]);
      await rm(link, { force: true });
      await rm(root, { recursive: true, force: true });
    }
  });

  it('fall back to SFTP on an account that runs no commands', async () => {
    const root = await trickyTree();
    const remote = sftpRemote(sftpOnly, root);
    try {
      const l = await remote.list(filter);
      expect(remote.listedBy).toBe('sftp');
      expect([...l.entries.keys()]).toContain('symbols/mechanical/ahu.json');
    } finally {
      await remote.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('fall back to SFTP when the folder is missing, and say so (the SFTP listing reports it as empty)', async () => {
    const remote = sftpRemote(sshd, join(tmpdir(), `arx-missing-${process.pid}-${Date.now()}`));
    try {
      const l = await remote.list();
      expect(remote.listedBy).toBe('sftp');
      expect(l.entries.size).toBe(0);
    } finally {
      await remote.close();
    }
  });
});

describe('SFTP batch uploads', () => {
  let noPerl: Sshd;
  let noTar: Sshd;
  let tools: string;
  beforeAll(async () => {
    // Servers whose sessions find tar but no perl, or neither (an ordinary PATH otherwise).
    tools = await mkdtemp(join(tmpdir(), 'arx-tools-'));
    mkdirSync(join(tools, 'tar-only'));
    mkdirSync(join(tools, 'none'));
    symlinkSync(spawnSync('sh', ['-c', 'command -v tar'], { encoding: 'utf8' }).stdout.trim(), join(tools, 'tar-only', 'tar'));
    [noPerl, noTar] = await Promise.all([startSshd({ path: join(tools, 'tar-only') }), startSshd({ path: join(tools, 'none') })]);
  });
  afterAll(async () => {
    await Promise.all([noPerl?.stop(), noTar?.stop()]);
    await rm(tools, { recursive: true, force: true });
  });

  const TRICKY = [
    "it's a $(touch pwned) `x` \\ folder/Hello, 世界.json",
    'line\nbreak.json',
    'hello? sausage/êé/file with  two spaces.json',
    '-rf.json',
    `symbols/${'n'.repeat(150)}.json`,
    `${'deep/'.repeat(30)}end.json`,
    'symbols/empty.json',
  ];

  function files(): BatchFile[] {
    const out: BatchFile[] = TRICKY.map((path, i) => ({ path, data: Buffer.from(path === 'symbols/empty.json' ? '' : `{"tricky":${i}}`), mtimeMs: 1_600_000_000_250 + i * 1000 }));
    for (let i = 0; i < 120; i++) out.push({ path: `symbols/av/s${i}.json`, data: Buffer.from(`{"id":${i}}`), mtimeMs: 1_700_000_000_999 + i * 1000 });
    return out;
  }

  /** A remote folder with every folder of the batch made (as a sync makes them first). */
  async function folderFor(batch: BatchFile[]): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'arx-batch-'));
    for (const f of batch) mkdirSync(join(root, f.path, '..'), { recursive: true });
    return root;
  }

  async function createMany(remote: SftpRemote, batch: BatchFile[]): Promise<{ batched: boolean; outcomes: Map<string, RemoteEntry | ArxError> }> {
    const outcomes = new Map<string, RemoteEntry | ArxError>();
    const batched = await remote.createMany(batch, (f, outcome) => {
      expect(outcomes.has(f.path)).toBe(false);
      outcomes.set(f.path, outcome);
    });
    return { batched, outcomes };
  }

  /** The batch's file already on the server, with its content and whole-second time (as a batch cut off before it reported leaves it). */
  function putAlready(root: string, batch: BatchFile[], path: string): void {
    const f = batch.find((b) => b.path === path)!;
    writeFileSync(join(root, path), f.data);
    utimesSync(join(root, path), Math.floor(f.mtimeMs / 1000), Math.floor(f.mtimeMs / 1000));
  }

  function leftovers(root: string): string[] {
    return (readdirSync(root, { recursive: true }) as string[]).filter((p) => p.split('/').some((n) => n.startsWith('.arx-tmp-')));
  }

  function expectPlaced(root: string, batch: BatchFile[], outcomes: Map<string, RemoteEntry | ArxError>, except: string[] = []): void {
    for (const f of batch) {
      if (except.includes(f.path)) continue;
      expect(outcomes.get(f.path), f.path).toEqual({ kind: 'file', size: f.data.length, mtimeMs: Math.floor(f.mtimeMs / 1000) * 1000 });
      expect(readFileSync(join(root, f.path)), f.path).toEqual(f.data);
      expect(statSync(join(root, f.path)).mtimeMs, f.path).toBe(Math.floor(f.mtimeMs / 1000) * 1000);
    }
  }

  it('place every file complete, with its time, under names of every kind, and leave nothing else', async () => {
    const batch = files();
    const root = await folderFor(batch);
    const remote = sftpRemote(sshd, root);
    try {
      const { batched, outcomes } = await createMany(remote, batch);
      expect(batched).toBe(true);
      expectPlaced(root, batch, outcomes);
      expect(leftovers(root)).toEqual([]);
      expect(existsSync(join(root, 'pwned'))).toBe(false);
      // The same permissions as a file created over SFTP, and owned by the login user.
      await remote.write('symbols/one-by-one.json', Buffer.from('{}'), { mtimeMs: Date.now(), expectAbsent: true });
      const mode = (p: string): number => statSync(join(root, p)).mode & 0o7777;
      expect(mode('symbols/av/s1.json')).toBe(mode('symbols/one-by-one.json'));
      expect(statSync(join(root, 'symbols/av/s1.json')).uid).toBe(process.getuid!());
    } finally {
      await remote.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  /**
   * A batch to a folder where the files `theirs` appeared meanwhile, and one identical file was
   * already placed: those are refused and left as they are, every other file is placed.
   */
  async function placesAllButTheirs(server: Sshd, theirs: Record<string, string>): Promise<void> {
    const batch = files();
    const root = await folderFor(batch);
    for (const [p, content] of Object.entries(theirs)) writeFileSync(join(root, p), content);
    // Already there with the same content and time (left by a batch cut off before it reported): placed.
    putAlready(root, batch, 'symbols/av/s9.json');
    const remote = sftpRemote(server, root);
    try {
      const { batched, outcomes } = await createMany(remote, batch);
      expect(batched).toBe(true);
      for (const [p, content] of Object.entries(theirs)) {
        expect((outcomes.get(p) as ArxError).code).toBe('CHANGED_DURING_SYNC');
        expect(readFileSync(join(root, p), 'utf8')).toBe(content);
      }
      expectPlaced(root, batch, outcomes, Object.keys(theirs));
      expect(leftovers(root)).toEqual([]);
    } finally {
      await remote.close();
      await rm(root, { recursive: true, force: true });
    }
  }

  it('never replace a file that appeared meanwhile: that one is refused and left as it is, the others placed', async () => {
    await placesAllButTheirs(sshd, { 'symbols/av/s7.json': 'theirs', 'line\nbreak.json': 'theirs too' });
  });

  it('on a server without perl, unpack with tar and place each file by an SFTP rename (still never replacing one)', async () => {
    await placesAllButTheirs(noPerl, { 'symbols/av/s3.json': 'theirs' });
  });

  it('on a server without tar, or an account that runs no commands: place nothing, leave nothing, and stop trying', async () => {
    for (const server of [noTar, sftpOnly]) {
      const batch = files();
      const root = await folderFor(batch);
      const remote = sftpRemote(server, root);
      try {
        const first = await createMany(remote, batch);
        expect(first).toEqual({ batched: false, outcomes: new Map() });
        expect((readdirSync(root, { recursive: true }) as string[]).filter((p) => statSync(join(root, p)).isFile())).toEqual([]);
        // Known now: the next batch is refused without a try.
        expect(await remote.createMany(batch, () => undefined)).toBe(false);
      } finally {
        await remote.close();
        await rm(root, { recursive: true, force: true });
      }
    }
  });
});
