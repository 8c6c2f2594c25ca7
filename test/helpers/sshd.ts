/** The test sshd (see bench/sshd.ts), in a folder removed after the test file. */
import { afterAll, beforeAll, describe } from 'vitest';
import { haveSshd, startSshd as start, type Sshd, type SshdOptions } from '../../bench/sshd.js';
import { tempDir, type RemoteKind } from './cli.js';

export { haveSshd, SSHD, type Sshd } from '../../bench/sshd.js';

export function startSshd(opts: Omit<SshdOptions, 'dir'> = {}): Promise<Sshd> {
  return start({ ...opts, dir: tempDir('arx-sshd-') });
}

/** How the test replicas reach a test sshd. */
export function sftpKind(sshd: Sshd): RemoteKind {
  return { kind: 'sftp', port: sshd.port, user: sshd.user, clientKey: sshd.clientKey, knownHosts: sshd.knownHosts };
}

/**
 * A describe block with its own test sshd on loopback (skipped where OpenSSH
 * is not installed): `body` gets the remote kind to sync through.
 */
export function describeOverSftp(title: string, body: (kind: () => RemoteKind) => void, opts: Omit<SshdOptions, 'dir'> = {}): void {
  describe.runIf(haveSshd())(title, () => {
    let sshd: Sshd;
    beforeAll(async () => {
      sshd = await startSshd(opts);
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    body(() => sftpKind(sshd));
  });
}
