/** Wraps each command's action: runs it, maps its result or error to the exit code. */
import type { Command } from 'commander';
import { reportError, type GlobalOptions } from './output.js';

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** `fn` returns the exit code; thrown errors become one clear line and their code. */
export function handler<O>(fn: (opts: O, cmd: Command, args: string[]) => Promise<number>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const opts = args[args.length - 2] as O;
    const positional = args.slice(0, -2) as string[];
    try {
      process.exitCode = await fn(opts, cmd, positional);
    } catch (err) {
      process.exitCode = reportError(err, globals(cmd).verbose === true);
    }
  };
}
