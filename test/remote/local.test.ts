/** The Remote conformance suite against the `local` remote, on a fresh temp folder per test. */
import { LocalFolderRemote } from '../../src/remote/local/local-remote.js';
import { remoteConformance, sandboxedFixture } from './conformance.js';

remoteConformance(
  'local',
  sandboxedFixture((root) => new LocalFolderRemote(root, { writer: 'conformance' })),
);

// What systems without /proc/self/fd get: every folder on a path checked by lstat.
remoteConformance(
  'local, folders checked by lstat',
  sandboxedFixture((root) => new LocalFolderRemote(root, { writer: 'conformance', fallback: true })),
);
