/** `arx remote trust`: record the SFTP server's host key in known_hosts. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { PermissionDeniedError, UsageError } from '../../errors.js';
import { sshOptions } from '../../remote/factory.js';
import { fetchHostKey } from '../../remote/sftp/connect.js';
import { addHostKey, checkHostKey, fingerprint, hostName } from '../../remote/sftp/known-hosts.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say } from '../output.js';

export function registerRemote(program: Command): void {
  const remote = program.command('remote').description('the remote server');
  remote
    .command('trust')
    .description("connect to the SFTP server and record its host key in known_hosts (never replaces a different known key)")
    .action(
      handler<object>(async (_opts, cmd) => {
        const g = globals(cmd);
        const cfg = loadConfig({ projectDir: g.project });
        if (cfg.remote.type !== 'sftp') throw new UsageError(`the remote is a ${cfg.remote.type} folder; only an sftp remote has a host key to trust`, 'NOT_SFTP');
        const o = sshOptions(cfg);
        const key = await fetchHostKey(o.host, o.port, o.readyTimeoutMs);
        const name = hostName(o.host, o.port);
        const fp = fingerprint(key);
        const check = checkHostKey(o.knownHosts, o.host, o.port, key);
        if (check.status === 'known') {
          say(`${name} is already trusted (${fp})`);
          return EXIT.OK;
        }
        if (check.status === 'changed' || check.status === 'revoked') {
          throw new PermissionDeniedError(
            `${name} now presents ${fp}, but ${check.file} line ${check.line} holds a different key for it; if the server's key really changed, remove that line and run this again`,
            'HOST_KEY_CHANGED',
          );
        }
        addHostKey(o.knownHosts[0]!, o.host, o.port, key);
        if (!g.quiet) say(`trusted ${name} with host key ${fp} (recorded in ${o.knownHosts[0]})`);
        return EXIT.OK;
      }),
    );
}
