/** The Remote conformance suite against the `local` remote, on a fresh temp folder per test. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderRemote } from '../../src/remote/local/local-remote.js';
import { remoteConformance } from './conformance.js';

remoteConformance('local', async () => {
  // sandbox/parent/root: the remote folder and its parent do not exist yet, so
  // createRoot must make both; anything else appearing in the sandbox escaped.
  const sandbox = await mkdtemp(join(tmpdir(), 'arx-conformance-'));
  const remote = new LocalFolderRemote(join(sandbox, 'parent', 'root'), { writer: 'conformance' });
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
