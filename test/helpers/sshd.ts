/** The test sshd (see bench/sshd.ts), in a folder removed after the test file. */
import { startSshd as start, type Sshd, type SshdOptions } from '../../bench/sshd.js';
import { tempDir } from './cli.js';

export { haveSshd, SSHD, type Sshd } from '../../bench/sshd.js';

export function startSshd(opts: Omit<SshdOptions, 'dir'> = {}): Promise<Sshd> {
  return start({ ...opts, dir: tempDir('arx-sshd-') });
}
