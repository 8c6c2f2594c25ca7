/** How the CLI talks: results on stdout, messages and errors on stderr. */
import { ArxError } from '../errors.js';
import { exitCodeFor, EXIT } from './exit-codes.js';

export interface GlobalOptions {
  project?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function say(text: string): void {
  process.stdout.write(text + '\n');
}

export function warn(text: string, opts: GlobalOptions = {}): void {
  if (!opts.quiet) process.stderr.write(`arx: warning: ${text}\n`);
}

/** One clear line per error; --verbose adds details (and the stack of internal errors). */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof ArxError) {
    process.stderr.write(`arx: error: ${err.message}\n`);
    if (verbose) {
      for (const d of err.details) process.stderr.write(`  ${d}\n`);
      process.stderr.write(`  (code ${err.code})\n`);
      if (err.category === 'internal' && err.stack) process.stderr.write(`${err.stack}\n`);
    }
    return exitCodeFor(err.category);
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`arx: internal error: ${msg}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('  run again with --verbose for details, and please report it\n');
  return EXIT.INTERNAL;
}
