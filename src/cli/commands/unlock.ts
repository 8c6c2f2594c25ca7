/** `arx unlock --remote [--force]`: remove the remote lock a sync left behind (see remote/lock.ts). */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { openSession } from '../../engine/session.js';
import { breakLock, describeHolder, describeLease } from '../../remote/lock.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say } from '../output.js';

export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description("remove the remote's lock left by a sync that is gone (a live lease is refused without --force)")
    .option('--remote', 'the lock in the remote folder (the project lock in .arx/ is released by the system when its process ends)')
    .option('--force', 'remove it even though its lease is live: only when that sync is gone (a lost machine)')
    .action(
      handler<{ remote?: boolean; force?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        if (!opts.remote) {
          throw new UsageError('arx unlock needs --remote: the project lock in .arx/ is released by the system when its process ends, and never needs removing', 'UNLOCK_WHAT');
        }
        const cfg = loadConfig({ projectDir: g.project });
        const session = await openSession(cfg, 'unlock --remote', new Date());
        try {
          const removed = await breakLock(session.remote, opts.force === true);
          if (!g.quiet) say(removed === undefined ? `the remote (${session.remote.describe()}) is not locked` : `removed the remote lock of ${describeHolder(removed)} (${describeLease(removed)})`);
          return EXIT.OK;
        } finally {
          await session.close();
        }
      }),
    );
}
