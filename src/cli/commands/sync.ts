/** `arx sync [-n|--dry-run] [--json] [--force] [--no-commands] [--include P]... [--exclude P]...` */
import type { Command } from 'commander';
import { loadConfig, type EffectiveConfig } from '../../config/load.js';
import { runSync } from '../../engine/sync.js';
import { killRunningCommands } from '../../chain/run-command.js';
import { chooseMode, createProgress } from '../../report/progress.js';
import type { SyncStatus } from '../../report/status.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { forcedCollection } from '../memory.js';
import { printJson, warn } from '../output.js';
import { describeTarget, sendCompletion } from '../../notify/completion.js';
import { printStatusSummary } from './summary.js';

interface SyncOpts {
  dryRun?: boolean;
  include: string[];
  exclude: string[];
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
    if (ac.signal.aborted) {
      killRunningCommands();
      process.exit(EXIT.INTERRUPTED);
    }
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--include` / `--exclude` add to the configured patterns for this run only
 * (checked like them); true when they narrow it, so what they leave out is
 * left alone rather than forgotten by the base.
 */
function narrowForThisRun(cfg: EffectiveConfig, include: string[], exclude: string[]): boolean {
  for (const [key, option, extra] of [['include_patterns', '--include', include], ['exclude_patterns', '--exclude', exclude]] as const) {
    if (extra.length === 0) continue;
    cfg.sync[key] = [...cfg.sync[key], ...extra];
    cfg.sources.set(`sync.${key}`, `the command line (${option})`);
  }
  return include.length + exclude.length > 0;
}

/** The completion webhook and e-mail (see notify/completion.ts): a failure is a warning, never the sync's exit code. */
async function notifyAfterSync(cfg: EffectiveConfig, status: SyncStatus, g: { quiet?: boolean; verbose?: boolean }): Promise<void> {
  const results = await sendCompletion(cfg, status, { env: process.env, attempts: SYNC_WEBHOOK_ATTEMPTS });
  for (const r of results) {
    const where = describeTarget(r.target);
    if (!r.ok) warn(`could not notify ${where}: ${r.reason}`, g);
    else if (g.verbose && !g.quiet) process.stderr.write(`arx: notified ${where}\n`);
  }
}

/** `arx sync` waits for its webhook: three attempts (about 1 and 2 s apart). */
const SYNC_WEBHOOK_ATTEMPTS = 3;

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync the project with its remote once')
    .option('-n, --dry-run', 'show what would be done (each path, action and reason) and change nothing')
    .option('--include <pattern>', 'for this run, sync only paths matching PATTERN (gitignore syntax; repeatable); the rest is left alone', collect, [])
    .option('--exclude <pattern>', 'for this run, leave paths matching PATTERN alone (gitignore syntax; repeatable)', collect, [])
    .option('--json', 'print only the final status JSON on stdout')
    .option('--force', 'proceed past safety halts (emptied side, mass deletion)')
    .option('--no-commands', 'skip the pre_sync and post_sync command chains')
    .action(
      handler<SyncOpts>(async (opts, cmd) => {
        const g = globals(cmd);
        const cfg = loadConfig({ projectDir: g.project });
        const narrowed = narrowForThisRun(cfg, opts.include, opts.exclude);
        const progress = createProgress(chooseMode({ quiet: g.quiet, stderrIsTTY: process.stderr.isTTY === true }), process.stderr, g.verbose);
        const cancel = cancelOnSignals();
        let status: SyncStatus;
        try {
          status = await runSync(cfg, { dryRun: opts.dryRun, force: opts.force, commands: opts.commands, narrowed, signal: cancel.signal, onEvent: (e) => progress.onEvent(e), releaseMemory: forcedCollection() });
        } finally {
          progress.stop();
          cancel.dispose();
        }
        if (opts.json) printJson(status);
        else printStatusSummary(status, { verbose: g.verbose === true, quiet: g.quiet === true });
        await notifyAfterSync(cfg, status, g);
        return exitCodeForStatus(status);
      }),
    );
}
