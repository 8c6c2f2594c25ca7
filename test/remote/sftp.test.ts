/** The Remote conformance suite, unchanged, against SFTP on a real OpenSSH sshd (loopback). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SftpRemote } from '../../src/remote/sftp/sftp-remote.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { remoteConformance } from './conformance.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

remoteConformance('sftp', async () => {
  const sandbox = await mkdtemp(join(tmpdir(), 'arx-conformance-sftp-'));
  const remote = new SftpRemote(
    {
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      keyFile: sshd.clientKey,
      knownHosts: [sshd.knownHosts],
      hostKeyPolicy: 'strict',
      channels: 4,
      readyTimeoutMs: 10_000,
    },
    join(sandbox, 'parent', 'root'),
    'conformance',
  );
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
    },
  };
});
