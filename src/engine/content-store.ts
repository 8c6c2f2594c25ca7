/**
 * The synced content of mergeable files (configuration), kept in
 * `.arx/content/<sha256>` so a later conflict can be merged three ways
 * against it. Small: only files a merge policy applies to are kept, and
 * versions no longer synced are pruned.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';

export class ContentStore {
  constructor(private readonly dir: string) {}

  has(hash: string): boolean {
    return this.get(hash) !== undefined;
  }

  get(hash: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, hash));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Keep `data` under its hash (checked), atomically. */
  keep(hash: string, data: Buffer): void {
    if (createHash('sha256').update(data).digest('hex') !== hash) return;
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${process.pid}-${hash}`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.dir, hash));
  }

  /** Remove every kept version not in `referenced`. */
  prune(referenced: ReadonlySet<string>): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) if (!referenced.has(name)) rmSync(join(this.dir, name), { force: true });
  }
}
