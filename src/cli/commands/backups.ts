/** `arx backups [--json]` and `arx restore SYNC_ID [PATH...] [--side local|remote]` */
import { Option, type Command } from 'commander';
import { loadForRecovery, recoveryWarning } from '../../config/recovery.js';
import type { Side } from '../../core/entry.js';
import { restoreBackup } from '../../engine/restore.js';
import { normaliseUserPath } from '../../remote/paths.js';
import { parseShownPath, showPath } from '../../util/path-bytes.js';
import { formatBytes, table } from '../../report/format.js';
import { listBackupSets } from '../../transfer/backups.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson, say, warn } from '../output.js';

export function registerBackups(program: Command): void {
  program
    .command('backups')
    .description('list the versions syncs replaced or discarded, kept in .arx/backups/')
    .option('--json', 'print a JSON array')
    .action(
      handler<{ json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        // Works with a broken configuration: it lists what can put it right.
        const view = loadForRecovery({ projectDir: g.project });
        const problem = recoveryWarning(view);
        if (problem) warn(problem, g);
        const rows = listBackupSets(view.projectRoot).flatMap((set) =>
          set.kept.map((k) => ({ sync_id: set.id, path: showPath(k.path), side: k.side, size: k.size, time: k.kept_at, location: showPath(`.arx/backups/${set.id}/${k.stored}`) })),
        );
        if (opts.json) printJson(rows);
        else if (rows.length === 0) say('no backups');
        else {
          say(table([['SYNC', 'PATH', 'SIDE', 'SIZE', 'KEPT AT'], ...rows.map((r) => [r.sync_id, r.path, r.side, formatBytes(r.size), r.time])]));
          say('\nput versions back with: arx restore SYNC [PATH...]');
        }
        return EXIT.OK;
      }),
    );

  program
    .command('restore <syncId> [paths...]')
    .description('put kept versions back into the project (all of a sync, or the paths named); the next sync propagates them')
    .addOption(new Option('--side <side>', 'which version when both were kept (default: the local one)').choices(['local', 'remote']))
    .action(
      handler<{ side?: Side }>(async (opts, cmd, args) => {
        const g = globals(cmd);
        const view = loadForRecovery({ projectDir: g.project });
        const problem = recoveryWarning(view);
        if (problem) warn(problem, g);
        // commander passes the variadic PATH... as one array after SYNC_ID.
        const [syncId, paths] = args as unknown as [string, string[] | undefined];
        const res = await restoreBackup(view.projectRoot, syncId, (paths ?? []).map((p) => normaliseUserPath(parseShownPath(p))), opts.side, new Date());
        if (!g.quiet) {
          for (const r of res.restored) say(`restored ${showPath(r.path)} (${r.side} version)`);
          for (const p of res.unchanged) say(`already as kept: ${p}`);
          if (res.backupSet) say(`the versions it replaced are kept in .arx/backups/${res.backupSet}/`);
          if (res.restored.length > 0) say('run arx sync to propagate the restored files');
        }
        return EXIT.OK;
      }),
    );
}
