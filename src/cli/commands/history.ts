/** `arx status [SYNC_ID] [--json]` and `arx history [--limit N] [--json]` */
import type { Command } from 'commander';
import { loadForRecovery, recoveryWarning } from '../../config/recovery.js';
import { openStore } from '../../engine/session.js';
import { formatDuration, table } from '../../report/format.js';
import { redactStatus, type SyncStatus } from '../../report/status.js';
import { UsageError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson, say, warn, type GlobalOptions } from '../output.js';
import { printStatusSummary } from './summary.js';

/** The project root (a configuration that does not load is only a warning here). */
function projectForHistory(g: GlobalOptions): { projectRoot: string } {
  const view = loadForRecovery({ projectDir: g.project });
  const problem = recoveryWarning(view);
  if (problem) warn(problem, g);
  return view;
}

/** The most syncs `history --limit` lists. */
export const MAX_HISTORY_LIMIT = 1_000_000;

/** `--limit N`: a whole number from 1 to MAX_HISTORY_LIMIT. */
function parseLimit(text: string): number {
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_HISTORY_LIMIT)) {
    throw new UsageError(`--limit: expected a whole number from 1 to ${MAX_HISTORY_LIMIT.toLocaleString('en-US')}, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function registerHistory(program: Command): void {
  program
    .command('status [syncId]')
    .description('show the last sync (or the one named), as saved in .arx/syncs/')
    .option('--json', 'print the status JSON')
    .action(
      handler<{ json?: boolean }>(async (opts, cmd, [syncId]) => {
        const g = globals(cmd);
        const store = openStore(projectForHistory(g));
        try {
          const row = syncId ? store.getSync(syncId) : store.listSyncs(1)[0];
          if (!row) {
            if (syncId) throw new UsageError(`no sync ${syncId} in this project's history; arx history lists them`, 'NO_SUCH_SYNC');
            if (opts.json) printJson(null);
            else say('no syncs yet; run arx sync');
            return EXIT.OK;
          }
          const status = redactStatus(JSON.parse(row.status_json) as SyncStatus);
          if (opts.json) printJson(status);
          else printStatusSummary(status, { verbose: g.verbose === true, quiet: false });
          return EXIT.OK;
        } finally {
          store.close();
        }
      }),
    );

  program
    .command('history')
    .description('list past syncs, newest first')
    .option('--limit <n>', 'how many to show', '20')
    .option('--json', 'print a JSON array of status objects')
    .action(
      handler<{ limit: string; json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        const limit = parseLimit(opts.limit);
        const store = openStore(projectForHistory(g));
        try {
          const rows = store.listSyncs(limit).map((r) => redactStatus(JSON.parse(r.status_json) as SyncStatus));
          if (opts.json) printJson(rows);
          else if (rows.length === 0) say('no syncs yet; run arx sync');
          else {
            const header = ['SYNC', 'STATUS', 'STARTED', 'TIME', 'UP', 'DOWN', 'DEL', 'CONFLICTS'];
            say(
              table([
                header,
                ...rows.map((s) => [s.sync_id, s.status, s.start_time, formatDuration(s.duration_ms), String(s.files_uploaded), String(s.files_downloaded), String(s.files_deleted), String(s.conflicts_pending)]),
              ]),
            );
          }
          return EXIT.OK;
        } finally {
          store.close();
        }
      }),
    );
}
