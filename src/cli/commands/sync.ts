/** `arx sync [--dry-run] [--json] [--force] [--no-commands]` */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { runSync } from '../../engine/sync.js';
import { chooseMode, createProgress } from '../../report/progress.js';
import type { SyncStatus } from '../../report/status.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson } from '../output.js';
import { printStatusSummary } from './summary.js';

interface SyncOpts {
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  /** false with --no-commands. */
  commands?: boolean;
}

export function exitCodeForStatus(status: SyncStatus): number {
  if (status.status === 'cancelled') return EXIT.INTERRUPTED;
  if (status.status === 'failed' || status.errors.length > 0) {
    const first = status.errors[0];
    return first ? exitCodeFor(first.type) : EXIT.INTERNAL;
  }
  return status.conflicts_pending > 0 && !status.dry_run ? EXIT.CONFLICTS : EXIT.OK;
}

/** First Ctrl-C / SIGTERM: finish the files in flight and stop. Second: stop at once. */
function cancelOnSignals(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (ac.signal.aborted) process.exit(EXIT.INTERRUPTED);
    process.stderr.write(`\narx: ${sig}: stopping after the files in flight (again to stop at once)\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync the project with its remote once')
    .option('--dry-run', 'show what would be done (each path, action and reason) and change nothing')
    .option('--json', 'print only the final status JSON on stdout')
    .option('--force', 'proceed past safety halts (emptied side, mass deletion)')
    .option('--no-commands', 'skip the pre_sync and post_sync command chains')
    .action(
      handler<SyncOpts>(async (opts, cmd) => {
        const g = globals(cmd);
        const cfg = loadConfig({ projectDir: g.project });
        const progress = createProgress(chooseMode({ quiet: g.quiet, stderrIsTTY: process.stderr.isTTY === true }), process.stderr, g.verbose);
        const cancel = cancelOnSignals();
        let status: SyncStatus;
        try {
          status = await runSync(cfg, { dryRun: opts.dryRun, force: opts.force, commands: opts.commands, signal: cancel.signal, onEvent: (e) => progress.onEvent(e) });
        } finally {
          progress.stop();
          cancel.dispose();
        }
        if (opts.json) printJson(status);
        else printStatusSummary(status, { verbose: g.verbose === true, quiet: g.quiet === true });
        return exitCodeForStatus(status);
      }),
    );
}
