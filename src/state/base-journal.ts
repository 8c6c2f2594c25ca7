/**
 * The base journal: while a sync transfers, each finished action's base
 * change is appended to `.arx/base-journal` (one JSON line, one write call)
 * and applied to the state database in batches. A SQLite commit per action
 * costs far more than the small files it records; an appended line keeps the
 * same promise: once an action is done, its base survives a killed process.
 * The next command that takes the project lock applies what a killed one
 * left here before anything else.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';

export const BASE_JOURNAL = 'base-journal';

/** `put`: remote id, path and the base row's columns in order; `delete`: remote id and path. */
export type JournalOp = ['put', string, string, ...(string | number | null)[]] | ['delete', string, string];

export class BaseJournal {
  private constructor(
    private readonly file: string,
    private fd: number,
  ) {}

  static open(stateDir: string): BaseJournal {
    const file = join(stateDir, BASE_JOURNAL);
    return new BaseJournal(file, openSync(file, 'a'));
  }

  append(op: JournalOp): void {
    const line = Buffer.from(`${JSON.stringify(op)}\n`);
    for (let off = 0; off < line.length; ) off += writeSync(this.fd, line, off);
  }

  /** Everything appended so far is in the database: start afresh. */
  clear(): void {
    ftruncateSync(this.fd, 0);
  }

  close(): void {
    closeSync(this.fd);
    this.fd = -1;
    rmSync(this.file, { force: true });
  }

  /** What a killed process left: whole lines only (a line cut short by the kill was never acknowledged). */
  static leftover(stateDir: string): JournalOp[] {
    let text: string;
    try {
      text = readFileSync(join(stateDir, BASE_JOURNAL), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const lines = text.split('\n');
    lines.pop(); // '' after the last newline, or an unfinished line
    const ops: JournalOp[] = [];
    for (const line of lines) {
      try {
        const op = JSON.parse(line) as unknown;
        if (Array.isArray(op) && (op[0] === 'put' || op[0] === 'delete') && typeof op[1] === 'string' && typeof op[2] === 'string') ops.push(op as JournalOp);
      } catch {
        // A damaged line: that path is compared afresh next time (never a loss: see reconcile).
      }
    }
    return ops;
  }

  static remove(stateDir: string): void {
    rmSync(join(stateDir, BASE_JOURNAL), { force: true });
  }
}
