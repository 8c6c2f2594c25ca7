/** `arx remote trust [--fingerprint SHA256:...]`: record the SFTP server's host key in known_hosts. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { PermissionDeniedError, UsageError } from '../../errors.js';
import { sshOptions } from '../../remote/factory.js';
import { fetchHostKey } from '../../remote/sftp/connect.js';
import { addHostKey, checkHostKey, fingerprint, hostName, ignoredLineWarning, revokedMessage } from '../../remote/sftp/known-hosts.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say, warn } from '../output.js';

/** `SHA256:` and 43 base64 characters, as `ssh-keygen -l` prints a fingerprint (a trailing `=` is allowed). */
function parseFingerprint(text: string): string {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  if (!m) throw new UsageError(`--fingerprint: expected a SHA256 fingerprint such as ssh-keygen -lf prints it (SHA256: and 43 characters), got ${JSON.stringify(text)}`, 'BAD_FINGERPRINT');
  return `SHA256:${m[1]}`;
}

export function registerRemote(program: Command): void {
  const remote = program.command('remote').description('the remote server');
  remote
    .command('trust')
    .description('connect to the SFTP server and record its host key in known_hosts (never replaces a different known key, never a revoked one)')
    .option('--fingerprint <SHA256:...>', 'record the key only if the server presents this fingerprint')
    .action(
      handler<{ fingerprint?: string }>(async (opts, cmd) => {
        const g = globals(cmd);
        const expected = opts.fingerprint === undefined ? undefined : parseFingerprint(opts.fingerprint);
        const cfg = loadConfig({ projectDir: g.project });
        if (cfg.remote.type !== 'sftp') throw new UsageError(`the remote is a ${cfg.remote.type} folder; only an sftp remote has a host key to trust`, 'NOT_SFTP');
        const o = sshOptions(cfg);
        const key = await fetchHostKey(o.host, o.port, o.readyTimeoutMs);
        const name = hostName(o.host, o.port);
        const fp = fingerprint(key);
        if (expected !== undefined && expected !== fp) {
          throw new PermissionDeniedError(
            `${name} presents the host key ${fp}, not the expected ${expected}; nothing was recorded (this may be an attack, or the fingerprint was copied wrong)`,
            'HOST_KEY_MISMATCH',
          );
        }
        const check = checkHostKey(o.knownHosts, o.host, o.port, key);
        for (const line of check.ignored) warn(ignoredLineWarning(line), g);
        switch (check.status) {
          case 'known':
            say(`${name} is already trusted (${fp})`);
            return EXIT.OK;
          case 'revoked':
            throw new PermissionDeniedError(`${revokedMessage(o.host, o.port, fp, check)}; nothing was recorded`, 'HOST_KEY_REVOKED');
          case 'changed':
            throw new PermissionDeniedError(
              `${name} now presents ${fp}, but ${check.file} line ${check.line} holds a different key for it; if the server's key really changed, remove that line and run this again`,
              'HOST_KEY_CHANGED',
            );
          case 'unknown':
            addHostKey(o.knownHosts[0]!, o.host, o.port, key);
            if (!g.quiet) say(`trusted ${name} with host key ${fp}${expected ? ' (the expected fingerprint)' : ''} (recorded in ${o.knownHosts[0]})`);
            return EXIT.OK;
        }
      }),
    );
}
