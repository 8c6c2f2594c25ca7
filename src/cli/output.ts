/** How the CLI talks: results on stdout, messages and errors on stderr. */
import { ArxError, isDiskFull, unexpectedToArx } from '../errors.js';
import { showText } from '../util/path-bytes.js';
import { redactText } from '../util/redact.js';
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
  process.stdout.write(showText(text) + '\n');
}

export function warn(text: string, opts: GlobalOptions = {}): void {
  if (!opts.quiet) process.stderr.write(`arx: warning: ${showText(redactText(text))}\n`);
}

/** One clear line per error; --verbose adds details (and the stack of internal errors). Secrets and URLs masked. */
export function reportError(thrown: unknown, verbose: boolean): number {
  // A full disk is never an internal error, wherever it was met.
  const err = !(thrown instanceof ArxError) && isDiskFull(thrown) ? unexpectedToArx(thrown) : thrown;
  const put = (text: string): boolean => process.stderr.write(showText(redactText(text)) + '\n');
  if (err instanceof ArxError) {
    put(`arx: error: ${err.message}`);
    if (verbose) {
      for (const d of err.details) put(`  ${d}`);
      put(`  (code ${err.code})`);
      if (err.category === 'internal' && err.stack) put(err.stack);
    }
    return exitCodeFor(err.category);
  }
  const msg = err instanceof Error ? err.message : String(err);
  put(`arx: internal error: ${msg}`);
  if (verbose && err instanceof Error && err.stack) put(err.stack);
  else process.stderr.write('  run again with --verbose for details, and please report it\n');
  return EXIT.INTERNAL;
}
