/** The `arx` command line. The only place that turns errors into exit codes. */
// First: starts the walk workers of a sync while the rest of the program loads (nothing else does on import).
import './warm-start.js';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerBackups } from './commands/backups.js';
import { registerConfig } from './commands/config.js';
import { registerConflicts } from './commands/conflicts.js';
import { registerHistory } from './commands/history.js';
import { registerInit } from './commands/init.js';
import { registerNotify } from './commands/notify.js';
import { registerProjectTools } from './commands/project-tools.js';
import { registerRemote } from './commands/remote.js';
import { registerSync } from './commands/sync.js';
import { registerTrust } from './commands/trust.js';
import { registerUnlock } from './commands/unlock.js';
import { EXIT } from './exit-codes.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('arx')
    .description('two-way sync for Arxos building projects')
    .version(version(), '-V, --version')
    .option('--project <dir>', 'project folder (default: the nearest folder up from here holding arxfile.json)')
    .option('-v, --verbose', 'more detail in errors and progress')
    .option('-q, --quiet', 'no progress or summaries; errors only')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`arx: ${str.replace(/^error: /, 'error: ')}`),
    });
  registerInit(program);
  registerSync(program);
  registerHistory(program);
  registerConflicts(program);
  registerBackups(program);
  registerConfig(program);
  registerRemote(program);
  registerTrust(program);
  registerUnlock(program);
  registerNotify(program);
  registerProjectTools(program);
  registerAgent(program);
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

async function main(): Promise<void> {
  // A reader that stops early (`arx history | head`) ends output quietly, as other command-line tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
      throw err;
    });
  }
  // A command whose work can no longer progress (nothing left to wait on) must not end as a success.
  let finished = false;
  process.on('beforeExit', () => {
    if (finished) return;
    finished = true;
    process.stderr.write('arx: internal error: the command stopped before finishing (an operation never completed); run again with --verbose and please report it\n');
    process.exitCode = EXIT.INTERNAL;
  });
  const program = buildProgram();
  if (process.argv.length <= 2) {
    program.outputHelp();
    process.exitCode = EXIT.USAGE;
    return;
  }
  try {
    await program.parseAsync(process.argv);
    finished = true;
  } catch (err) {
    finished = true;
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    throw err;
  }
}

// An error that escapes main is a bug: Node prints it and exits 1 (EXIT.INTERNAL).
void main();
