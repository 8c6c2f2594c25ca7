/** `arx conflicts [--json]` and `arx resolve PATH... | --all --keep local|remote|both` */
import { Option, type Command } from 'commander';
import { loadConfig, type EffectiveConfig } from '../../config/load.js';
import { loadForRecovery, recoveryWarning } from '../../config/recovery.js';
import { resolveConflicts, type KeepChoice } from '../../engine/resolve.js';
import { ArxError, UsageError } from '../../errors.js';
import { openStore } from '../../engine/session.js';
import { remoteIdOf } from '../../remote/factory.js';
import { normaliseUserPath } from '../../remote/paths.js';
import { table } from '../../report/format.js';
import { parseShownPath, showPath } from '../../util/path-bytes.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { forcedCollection } from '../memory.js';
import { printJson, reportError, say, warn } from '../output.js';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The conflict a user means: a path as `arx conflicts` prints it (relative to
 * the project root, a name that is not UTF-8 escaped), or one relative to the
 * working folder inside the project.
 */
function conflictPathFromUser(cfg: EffectiveConfig, shown: string): string {
  const raw = parseShownPath(shown);
  const asPrinted = normaliseUserPath(raw);
  const fromCwd = relative(cfg.projectRoot, resolve(process.cwd(), raw));
  if (fromCwd === '' || fromCwd.startsWith('..') || isAbsolute(fromCwd)) return asPrinted;
  const store = openStore(cfg);
  try {
    const open = new Set(store.listConflicts(remoteIdOf(cfg)).map((c) => c.path));
    return open.has(asPrinted) || !open.has(normaliseUserPath(fromCwd)) ? asPrinted : normaliseUserPath(fromCwd);
  } finally {
    store.close();
  }
}

export function registerConflicts(program: Command): void {
  program
    .command('conflicts')
    .description('list open conflicts (paths changed differently on both sides)')
    .option('--json', 'print a JSON array')
    .action(
      handler<{ json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        const view = loadForRecovery({ projectDir: g.project });
        const problem = recoveryWarning(view);
        if (problem) warn(problem, g);
        const store = openStore(view);
        try {
          // Conflicts are kept per remote: the configured one, or without a configuration the last one synced with.
          const remoteId = view.cfg ? remoteIdOf(view.cfg) : store.lastSyncRemoteId();
          const list = remoteId === undefined ? [] : store.listConflicts(remoteId);
          if (opts.json) printJson(list.map((c) => ({ ...c, path: showPath(c.path) })));
          else if (list.length === 0) say('no open conflicts');
          else {
            say(table([['PATH', 'KIND', 'REASON', 'SINCE'], ...list.map((c) => [showPath(c.path), c.kind, c.reason, c.sync_id])]));
            say('\nsettle one with: arx resolve PATH --keep local|remote|both');
          }
          return EXIT.OK;
        } finally {
          store.close();
        }
      }),
    );

  program
    .command('resolve [paths...]')
    .description('settle conflicts now (paths as arx conflicts lists them, or globs such as "symbols/**", or --all): keep the local version, the remote one, or both')
    .addOption(new Option('--keep <side>', 'which version to keep').choices(['local', 'remote', 'both']).makeOptionMandatory())
    .option('--all', 'every open conflict')
    .action(
      handler<{ keep: KeepChoice; all?: boolean }>(async (opts, cmd, [rawPaths]) => {
        const g = globals(cmd);
        const given = (rawPaths as unknown as string[] | undefined) ?? [];
        if (opts.all && given.length > 0) throw new UsageError('give paths or --all, not both');
        if (!opts.all && given.length === 0) throw new UsageError('name the conflicts to settle (paths or globs, as arx conflicts lists them), or pass --all');
        const cfg = loadConfig({ projectDir: g.project });
        const wanted = opts.all ? 'all' : given.map((p) => conflictPathFromUser(cfg, p));
        const { results, failures } = await resolveConflicts(cfg, wanted, opts.keep, new Date(), forcedCollection());
        if (!g.quiet) {
          if (results.length === 0 && failures.length === 0) say('there are no open conflicts');
          for (const res of results) {
            if (res.keep === 'both') say(`kept both: ${showPath(res.path)} holds the local version, ${showPath(res.conflictCopy!)} the remote one (on both sides)`);
            else say(`kept the ${res.keep} version of ${showPath(res.path)} on both sides`);
            for (const b of res.backups) say(`  the discarded ${b.side} version is in .arx/backups/${res.backupSet}/${showPath(b.stored)} (arx restore ${res.backupSet} ${showPath(b.path)})`);
          }
        }
        for (const f of failures) reportError(new ArxError(f.error.category, f.error.code, `${showPath(f.path)}: ${f.error.message} (left open)`), g.verbose === true);
        return failures.length > 0 ? exitCodeFor(failures[0]!.error.category) : EXIT.OK;
      }),
    );
}
