/**
 * The Remote conformance suite, unchanged, against SFTP on a real OpenSSH sshd
 * (loopback): once where the account may run commands (listings come from one
 * `find` on the server) and once on an SFTP-only account (listings over SFTP).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpRemote } from '../../src/remote/sftp/sftp-remote.js';
import { tempName } from '../../src/remote/types.js';
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
      expect(a.special).toEqual(['link']);
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
